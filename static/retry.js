/* The page of a GET request that found the service briefly unavailable (503 while the database
   is down) tries again by itself and shows the page as soon as the server answers: a
   waiting-room display switched on while the database restarts, or a kiosk or counter screen
   reloaded at the wrong moment, comes back without anyone walking up to it. Not a
   <meta http-equiv="refresh">: that reloads blindly, and WCAG 2.2.1 (and axe-core) count it as
   a failure. The server includes this file only there; a form is never sent again. Without
   JavaScript the page still asks the reader to try again. */
(function () {
  "use strict";

  var MAX_DELAY_MS = 60000;

  function tryAgain(notice) {
    var delay = 1000 * Number(notice.dataset.retryAfter || 5);

    function later() {
      // No sooner than the server asked (Retry-After), then doubling up to a minute; up to half
      // as much again at random, so that the screens that failed together do not return at once.
      setTimeout(ask, delay + Math.random() * delay / 2);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }

    function ask() {
      // HEAD instead of the page itself: Flask answers HEAD wherever it answers GET, running the
      // same view, without sending a page that the reload would fetch again.
      fetch(window.location.href, { method: "HEAD", cache: "no-store" }).then(function (response) {
        if (response.status >= 500 || response.status === 429) {
          later();
        } else {
          // The page, or the reason it is refused now (device revoked, logged out).
          window.location.reload();
        }
      }, later);
    }

    notice.textContent = notice.dataset.text;
    later();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var notice = document.getElementById("retry-status");
    if (notice && "fetch" in window) { tryAgain(notice); }
  });
})();
