/* "Nearest to me": ask the browser for the position only when the resident taps the button,
   then send the search with lat/lon. Refusal or failure is explained in the page (no alert);
   the list is then sent without a position and the server says why it is not sorted. */
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("search-form");
    var button = document.getElementById("near-me");
    var status = document.getElementById("near-status");
    if (!form || !button) { return; }

    function field(name) { return form.querySelector("input[type=hidden][name=" + name + "]"); }

    function send() {
      if (window.htmx) { window.htmx.trigger(form, "submit"); } else { form.submit(); }
    }

    button.addEventListener("click", function (event) {
      event.preventDefault();
      var near = field("near"), lat = field("lat"), lon = field("lon"), geo = field("geo");
      near.disabled = false;
      if (!navigator.geolocation) {
        geo.value = "unavailable"; geo.disabled = false; lat.disabled = true; lon.disabled = true;
        send();
        return;
      }
      status.textContent = button.dataset.locating || "";
      button.setAttribute("aria-busy", "true");
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(5); lat.disabled = false;
        lon.value = pos.coords.longitude.toFixed(5); lon.disabled = false;
        geo.disabled = true;
        status.textContent = "";
        button.removeAttribute("aria-busy");
        send();
      }, function (err) {
        geo.value = err && err.code === 1 ? "denied" : "unavailable"; geo.disabled = false;
        lat.disabled = true; lon.disabled = true;
        status.textContent = "";
        button.removeAttribute("aria-busy");
        send();
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });

    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (!e.detail || !e.detail.target || e.detail.target.id !== "results") { return; }
      var sorted = !!document.querySelector("#results .r-results__sort");
      button.classList.toggle("is-on", sorted);
      if (!sorted) {
        ["near", "lat", "lon"].forEach(function (n) { field(n).disabled = true; });
      }
      field("geo").disabled = true;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
