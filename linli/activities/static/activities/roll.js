/* The keeper's attendance list (templates/activities/console/roll.html).
 * A tick is queued in localStorage under the session's key before it is sent, so a flaky
 * connection loses nothing; each tick carries an id made here, and the server counts a tick it
 * has seen once (linli.activities.services.tick), so sending the queue twice is harmless. */
(function () {
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("rollList", function () {
      return {
        rows: [], queue: [], online: navigator.onLine, syncing: false,
        key: "", url: "", csrf: "", checkoutBase: "",
        init: function () {
          var cfg = JSON.parse(document.getElementById("roll-config").textContent);
          this.rows = cfg.rows.map(function (r) { return Object.assign({ pending: false, message: "" }, r); });
          this.key = cfg.storage_key; this.url = cfg.sync_url; this.csrf = cfg.csrf;
          this.checkoutBase = cfg.checkout_url;
          try { this.queue = JSON.parse(localStorage.getItem(this.key) || "[]"); } catch (e) { this.queue = []; }
          var self = this;
          this.queue.forEach(function (t) {
            var row = self.rows.find(function (r) { return r.signup === t.signup; });
            if (row) { row.checked = true; row.pending = true; }
          });
          window.addEventListener("online", function () { self.online = true; self.sync(); });
          window.addEventListener("offline", function () { self.online = false; });
          setInterval(function () { self.sync(); }, 15000);
          this.sync();
        },
        save: function () { localStorage.setItem(this.key, JSON.stringify(this.queue)); },
        tick: function (row) {
          if (row.checked || row.waiting) return;
          this.queue.push({ id: newId(), signup: row.signup, at: new Date().toISOString() });
          this.save();
          row.checked = true; row.pending = true; row.message = "";
          this.sync();
        },
        checkoutUrl: function (row) { return this.checkoutBase.replace("/0/", "/" + row.checkin + "/"); },
        sync: function () {
          var self = this;
          if (this.syncing || !this.queue.length) return;
          this.syncing = true;
          var batch = this.queue.slice();
          fetch(this.url, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrf },
            body: JSON.stringify({ ticks: batch })
          }).then(function (resp) {
            if (!resp.ok) throw new Error(String(resp.status));
            return resp.json();
          }).then(function (data) {
            self.online = true;
            var answered = {};
            data.results.forEach(function (res) {
              answered[res.id] = true;
              var sent = batch.find(function (t) { return t.id === res.id; });
              var row = sent && self.rows.find(function (r) { return r.signup === sent.signup; });
              if (!row) return;
              row.pending = false;
              if (res.status === "refused" || res.status === "invalid") {
                row.checked = false; row.message = res.message || "";
              } else { row.checkin = res.checkin; }
            });
            self.queue = self.queue.filter(function (t) { return !answered[t.id]; });
            self.save();
          }).catch(function () {
            self.online = false;
          }).finally(function () { self.syncing = false; });
        }
      };
    });
  });
})();
