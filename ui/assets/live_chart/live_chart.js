// A Plotly chart that a Streamlit page redraws in place: each render message carries the
// whole figure, and Plotly.react changes only what changed (Streamlit's own chart mounts a
// new chart whenever its figure changes). The page speaks the custom-component protocol of
// streamlit.components.v1 directly: componentReady, then render messages; setFrameHeight.
(function () {
  "use strict";
  var div = document.getElementById("chart");
  var height = -1;

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

  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (msg && msg.type === "streamlit:render") {
      try {
        draw(msg.args || {});
      } catch (err) {
        console.error("cnnviz live chart:", err);
      }
    }
  });
  send("streamlit:componentReady", { apiVersion: 1 });
})();
