// A plotly chart that stays mounted and updates in place.
//
// Streamlit's own st.plotly_chart gives a chart a new identity whenever its data changes, so the
// browser throws the chart away and draws a new one each refresh (Plotly.newPlot). Here the
// same <div> is kept for the life of the element and each new figure goes through Plotly.react,
// which redraws only what changed: the browser's work per refresh drops several-fold, and with
// it the CPU it takes from the training thread on a 2-core machine.

const LOADS = (window.__digitNetPlotlyLoads ||= {});

function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!LOADS[url]) {
    LOADS[url] = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        delete LOADS[url];
        reject(new Error(`could not load plotly.js from ${url}`));
      };
      document.head.appendChild(script);
    });
  }
  return LOADS[url];
}

// Streamlit's theme as the component sees it (CSS custom properties), so charts follow light
// and dark mode like the st.plotly_chart charts around them.
function themed(layout, root) {
  const css = getComputedStyle(root);
  const text = css.getPropertyValue("--st-text-color").trim() || undefined;
  const border = css.getPropertyValue("--st-border-color").trim() || undefined;
  const font = css.getPropertyValue("--st-font").trim() || undefined;
  const axis = (a) => ({ gridcolor: border, zerolinecolor: border, ...a });
  const out = {
    ...layout,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { ...(layout.font || {}), color: text, family: font || layout.font?.family },
  };
  for (const key of Object.keys(out)) {
    if (/^[xy]axis\d*$/.test(key)) out[key] = axis(out[key]);
  }
  if (!out.xaxis) out.xaxis = axis({});
  if (!out.yaxis) out.yaxis = axis({});
  return out;
}

export default function liveChart({ data, parentElement }) {
  let div = parentElement.querySelector("div.digit-net-live-chart");
  if (!div) {
    div = document.createElement("div");
    div.className = "digit-net-live-chart";
    div.style.width = "100%";
    parentElement.appendChild(div);
  }
  const figure = JSON.parse(data.figure);
  div.dataset.version = String(data.version);
  loadPlotly(data.plotlyUrl)
    .then((Plotly) => {
      const config = { displaylogo: false, responsive: true, ...(figure.config || {}) };
      return Plotly.react(div, figure.data || [], themed(figure.layout || {}, div), config);
    })
    .then(() => {
      div.dataset.drawn = String(data.version);
    })
    .catch((err) => {
      div.textContent = `Chart unavailable: ${err.message}`;
    });
  return () => {
    if (window.Plotly) window.Plotly.purge(div);
  };
}
