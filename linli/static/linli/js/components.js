/* Alpine components every page may use. Alpine is its CSP build (the Content-Security-Policy
   allows no eval): an attribute may call a method but not define a function, so the function
   lives here. Loaded before Alpine (both deferred, in order). */
document.addEventListener("alpine:init", () => {
  /* A form with lat/lon fields (x-ref="lat", x-ref="lon") filled from the phone's position. */
  window.Alpine.data("locatable", (located = false) => ({
    located,
    locate() {
      if (!navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition((p) => {
        this.$refs.lat.value = p.coords.latitude.toFixed(6);
        this.$refs.lon.value = p.coords.longitude.toFixed(6);
        this.located = true;
      });
    },
  }));
});
