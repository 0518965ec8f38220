// A Plotly chart that a Streamlit page redraws in place: each render message carries the
// whole figure, and Plotly.react changes only what changed (Streamlit's own chart mounts a
// new chart whenever its figure changes). The page speaks the custom-component protocol of
// streamlit.components.v1 directly: componentReady, then render messages; setFrameHeight.
//
// Plotly's bundle (4.8 MB) is kept in the browser's IndexedDB, keyed by its version: Streamlit
// serves a component's files without a validator or a lifetime, so the browser would fetch
// it (and the server gzip it) again every time a live chart appears.
(function () {
  "use strict";
  var div = document.getElementById("chart");
  var height = -1;
  var pending = null; // the last render message that came before Plotly was ready
  var ready = false;

  function run(text, done, fail) {
    var url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    var script = document.createElement("script");
    script.src = url;
    script.onload = function () {
      URL.revokeObjectURL(url);
      done();
    };
    script.onerror = fail;
    document.head.appendChild(script);
  }

  function loadPlotly(version, done, fail) {
    function fetchIt(keep, tries) {
      // gzipped once by the server process that made the folder, unpacked here (served as it
      // is: no server compresses 4.8 MB for each browser); as it is where the browser cannot
      var packed = typeof DecompressionStream === "function";
      tries = tries === undefined ? 5 : tries;
      fetch(packed ? "plotly.min.js.gz" : "plotly.min.js")
        .then(function (r) {
          if (!r.ok) throw new Error("Plotly's bundle: HTTP " + r.status);
          if (!packed) return r.text();
          return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).text();
        })
        .then(function (text) {
          run(text, done, fail);
          if (keep) keep(text);
        })
        .catch(function (err) {
          // a server process that went away mid-transfer: the page reconnects to another
          if (tries > 1) setTimeout(function () { fetchIt(keep, tries - 1); }, 1000);
          else fail(err);
        });
    }
    var open;
    try {
      open = indexedDB.open("cnnviz-live-chart", 1);
    } catch (err) {
      fetchIt(null); // no IndexedDB here: fetch it each time
      return;
    }
    open.onupgradeneeded = function () {
      open.result.createObjectStore("files");
    };
    open.onerror = function () {
      fetchIt(null);
    };
    open.onsuccess = function () {
      var db = open.result;
      var get;
      try {
        get = db.transaction("files").objectStore("files").get("plotly");
      } catch (err) {
        fetchIt(null);
        return;
      }
      get.onerror = function () {
        fetchIt(null);
      };
      get.onsuccess = function () {
        var kept = get.result;
        if (kept && kept.version === version) {
          run(kept.text, done, fail);
          return;
        }
        fetchIt(function (text) {
          try {
            var put = db.transaction("files", "readwrite").objectStore("files");
            put.put({ version: version, text: text }, "plotly");
          } catch (err) {
            /* not kept (the browser's storage is full): fetched again next time */
          }
        });
      };
    };
  }

  function send(type, data) {
    var msg = { isStreamlitMessage: true, type: type };
    for (var k in data) msg[k] = data[k];
    window.parent.postMessage(msg, "*");
  }

  function draw(args) {
    var fig = typeof args.spec === "string" ? JSON.parse(args.spec) : args.spec || {};
    var layout = fig.layout || {};
    // the arrays of each message are new: Plotly compares them, not a revision
    delete layout.datarevision;
    layout.uirevision = "kept"; // a zoom or a hidden series stays as the user left it
    var h = args.height || layout.height || 450;
    layout.height = h;
    delete layout.width;
    div.setAttribute("aria-label", args.name || "chart");
    try { // the frame's title, for a screen reader's list of frames (same origin)
      if (window.frameElement && args.name) window.frameElement.title = args.name;
    } catch (err) { /* a frame of another origin: its title stays */ }
    if (args.lang) document.documentElement.lang = args.lang;
    var config = args.config || {};
    config.responsive = true;
    Plotly.react(div, fig.data || [], layout, config);
    if (h !== height) {
      height = h;
      send("streamlit:setFrameHeight", { height: h });
    }
  }

  function render(args) {
    try {
      draw(args);
    } catch (err) {
      console.error("cnnviz live chart:", err);
    }
  }

  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (msg && msg.type === "streamlit:render") {
      if (ready) render(msg.args || {});
      else pending = msg.args || {};
    }
  });
  loadPlotly(
    div.getAttribute("data-plotly"),
    function () {
      ready = true;
      if (pending !== null) render(pending);
      pending = null;
    },
    function (err) {
      console.error("cnnviz live chart: Plotly did not load:", err);
    }
  );
  send("streamlit:componentReady", { apiVersion: 1 });
})();
