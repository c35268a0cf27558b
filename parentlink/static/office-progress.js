// Follows a campaign's dispatch: while messages are waiting, reloads the page every 3 seconds
// (the CSP allows no fetch, on purpose). Without JavaScript, the Refresh link does the same.
(function () {
  "use strict";
  var section = document.getElementById("sending");
  if (section && section.getAttribute("data-pending") !== "0") {
    window.setTimeout(function () { window.location.reload(); }, 3000);
  }
})();
