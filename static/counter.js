/* Live screens: Server-Sent Events re-render the live regions with the full state the server
   sends, and a stream the server refused is reopened; the display announces calls (gong,
   speech, aria-live); the front desk and kiosk scan QR codes with the camera where the browser
   has BarcodeDetector; the counter screen has keyboard shortcuts. Everything works without
   this file through plain forms. */
(function () {
  "use strict";

  function replaceRegions(html) {
    var active = document.activeElement && document.activeElement.id;
    Object.keys(html || {}).forEach(function (id) {
      var region = document.getElementById(id);
      if (region) { region.innerHTML = html[id]; }
    });
    if (active) {
      var again = document.getElementById(active);
      if (again && again !== document.activeElement) { again.focus(); }
    }
  }

  /* A stream answered with an error status (503 while the database is down, 502 from a proxy
     while the app restarts) is closed for good: EventSource itself retries only after a
     network drop. Then the page waits (doubling, capped, jittered so that all the screens of
     an office do not come back in the same second), asks whether it may still connect, and
     opens a new stream from the last event it saw. */
  var RECONNECT_MAX_MS = 30000;

  function connect(root) {
    if (!("EventSource" in window)) { return; }
    var status = document.getElementById("connection-status");
    var first = Number((status && status.dataset.reconnectMs) || 2000);
    var delay = first;
    var lastId = "";

    function setConnected(connected) {
      root.dataset.connected = String(connected);
      if (status) { status.textContent = connected ? "" : status.dataset.lost; }
    }

    function later() {
      var wait = delay / 2 + Math.random() * delay / 2;
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      setTimeout(retry, wait);
    }

    function retry() {
      // The stream's own error status cannot be read; a HEAD request answers it. A refusal
      // (device revoked, logged out, ticket gone) reloads the page, which then says why.
      fetch(root.dataset.events, { method: "HEAD", headers: { Accept: "text/event-stream" },
        cache: "no-store" }).then(function (response) {
        if (response.ok) {
          open();
        } else if (response.status >= 500 || response.status === 429) {
          later();
        } else {
          window.location.reload();
        }
      }, later);
    }

    function remember(event) {
      if (event.lastEventId) { lastId = event.lastEventId; }
    }

    function open() {
      var url = root.dataset.events;
      if (lastId) {
        url += (url.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + encodeURIComponent(lastId);
      }
      var source = new EventSource(url);
      source.addEventListener("state", function (event) {
        remember(event);
        var data = JSON.parse(event.data);
        replaceRegions(data.html);
        setConnected(true);
        delay = first;
        document.dispatchEvent(new CustomEvent("tv:state", { detail: data }));
      });
      source.addEventListener("call", function (event) {
        remember(event);
        document.dispatchEvent(new CustomEvent("tv:call", { detail: JSON.parse(event.data) }));
      });
      source.addEventListener("gone", function () {
        source.close();
        window.location.reload();
      });
      source.onerror = function () {
        setConnected(false);
        // CONNECTING: EventSource reconnects by itself (with Last-Event-ID). CLOSED: it won't.
        if (source.readyState === EventSource.CLOSED) { later(); }
      };
    }

    open();
  }

  /* Waiting-room display */
  function setUpDisplay(root) {
    var gong = new Audio(root.dataset.gong);
    var pending = [];
    var speaking = false;
    function say(call) {
      var text = root.dataset.say.replace("{number}", call.number.split("").join(" "))
        .replace("{counter}", call.counter);
      var live = document.getElementById("call-announcement");
      live.textContent = call.number + " → ";
      var place = document.createElement("span");
      if (root.dataset.officeLang) { place.lang = root.dataset.officeLang; }
      place.textContent = call.counter;
      live.appendChild(place);
      if (!("speechSynthesis" in window)) { return Promise.resolve(); }
      return new Promise(function (resolve) {
        var utterance = new SpeechSynthesisUtterance(text);
        utterance.lang = document.documentElement.lang;
        utterance.onend = resolve;
        utterance.onerror = resolve;
        window.speechSynthesis.speak(utterance);
        setTimeout(resolve, 8000);
      });
    }
    function next() {
      if (speaking || !pending.length) { return; }
      speaking = true;
      var call = pending.shift();
      var played = gong.play();
      var afterGong = played && played.then ? played.catch(function () {}) : Promise.resolve();
      afterGong.then(function () { return new Promise(function (r) { setTimeout(r, 900); }); })
        .then(function () { return say(call); })
        .then(function () { speaking = false; next(); });
    }
    document.addEventListener("tv:call", function (event) {
      pending.push(event.detail);
      document.body.dataset.lastCall = event.detail.number + " " + event.detail.counter;
      next();
    });
    document.addEventListener("tv:state", function () {
      var newest = document.querySelector(".call--newest");
      if (newest && pending.length) { newest.classList.add("call--flash"); }
    });
  }

  /* Camera scanning where the browser can (BarcodeDetector); a USB scanner needs no script. */
  function setUpCamera() {
    var button = document.getElementById("camera-button");
    var video = document.getElementById("camera-view");
    var field = document.getElementById("checkin-code");
    if (!button || !video || !field || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var timer = setInterval(function () {
          detector.detect(video).then(function (codes) {
            if (!codes.length) { return; }
            clearInterval(timer);
            stream.getTracks().forEach(function (track) { track.stop(); });
            field.value = codes[0].rawValue;
            field.form.submit();
          }).catch(function () {});
        }, 300);
      }).catch(function () { button.hidden = true; });
    });
  }

  /* Counter screen: one key per action when no field has the focus. */
  function setUpShortcuts() {
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) { return; }
      var button = document.querySelector('button[data-key="' + event.key.toUpperCase() + '"]');
      if (button) {
        event.preventDefault();
        button.click();
      }
    });
  }

  function setUpPrint() {
    var button = document.getElementById("print-button");
    if (button) { button.addEventListener("click", function () { window.print(); }); }
  }

  /* Kiosk: back to the start screen after a while, for the next citizen. */
  function setUpReturn() {
    var holder = document.querySelector("[data-return]");
    if (holder) {
      setTimeout(function () { window.location.assign(holder.dataset.return); },
        1000 * Number(holder.dataset.returnAfter || 45));
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpReturn();
    var root = document.querySelector("[data-events]");
    if (root && root.dataset.display) { setUpDisplay(root); }
    if (root) { connect(root); }
    if (document.querySelector("[data-shortcuts]")) { setUpShortcuts(); }
    setUpCamera();
    setUpPrint();
  });
})();
