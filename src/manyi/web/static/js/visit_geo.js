// The on-site tablet page: the tablet's position, when it gives one, goes with the arrival
// (latitude,longitude). Without permission or a fix the field stays empty: the typed place
// and the time are still recorded.
const field = document.getElementById("geo");
if (field && navigator.geolocation) {
  navigator.geolocation.getCurrentPosition(
    (position) => {
      field.value = `${position.coords.latitude.toFixed(5)},${position.coords.longitude.toFixed(5)}`;
    },
    () => {},
    { timeout: 5000, maximumAge: 60000 },
  );
}
