//! The one-file HTML report: summary, gates, statistics, every chart as inline SVG, a sortable
//! and filterable table of pods, and a per-pod timeline on click. No network: CSS, script,
//! charts and data are all inside the file.
//!
//! Opened as `report.html#selftest`, the page exercises itself (sorts a column, opens a pod)
//! and writes the outcome into `<body data-selftest>`; the browser test reads it back.

use std::collections::BTreeMap;
use std::io::Write;

use plotters::style::RGBColor;
use serde::Serialize;
use serde_json::{Value, json};

use super::charts::{self, Chart, MAIN_PATH};
use super::render::dur;
use super::slo::Verdict;
use super::{AGGREGATES, PodRow, Report, metrics};
use crate::timeline::{Ms, Phase};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn ms3(ns: f64) -> f64 {
    // Milliseconds with µs resolution keep the file small and exact enough for a page.
    (ns / 1e3).round() / 1e3
}

/// One pod for the script: values in ms; milestones in ms from the pod's origin. Keys of `v`
/// and `m` in name order, as the page's data always listed them.
#[derive(Serialize)]
struct PodData<'a> {
    ns: &'a str,
    name: &'a str,
    node: &'a str,
    owner: &'a str,
    image: &'a str,
    state: &'a str,
    init: &'a str,
    dominant: Option<Phase>,
    origin: Option<String>,
    v: BTreeMap<&'a str, f64>,
    m: BTreeMap<&'a str, f64>,
}

fn pod_data(p: &PodRow) -> PodData<'_> {
    let origin = p
        .milestones
        .get(&Ms::Requested)
        .or_else(|| p.milestones.get(&Ms::Created))
        .copied()
        .or_else(|| p.milestones.values().min().copied());
    PodData {
        ns: &p.namespace,
        name: &p.name,
        node: &p.node,
        owner: &p.owner,
        image: p.image,
        state: p.state,
        init: p.init,
        dominant: p.dominant,
        origin: origin.map(podtrace_parsers::time::format_rfc3339_nanos),
        v: p.values
            .iter()
            .map(|(k, v)| (k.as_str(), ms3(*v as f64)))
            .collect(),
        m: origin
            .map(|o| {
                p.milestones
                    .iter()
                    .map(|(k, t)| (k.as_str(), ms3((t - o) as f64)))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// JSON that can sit inside a `<script type="application/json">` element whatever its strings
/// hold. The HTML parser reads a script's text looking only for `</script`, `<!--` and
/// `<script`: one data string `x<!--<script>` put the page's script into the "double escaped"
/// state, where the real `</script>` no longer ends it, and the whole page stopped working.
/// `<`, `>` and `&` in strings are written as `\u003c`, `\u003e`, `\u0026` (the same string to
/// `JSON.parse`), so none of those sequences can occur; U+2028 and U+2029 too, which end a line
/// in older JavaScript.
struct ScriptSafe;

impl serde_json::ser::Formatter for ScriptSafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            w.write_all(&fragment.as_bytes()[start..i])?;
            w.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// `v` as JSON for a script element (see [`ScriptSafe`]).
fn script_json<T: Serialize + ?Sized>(v: &T, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, ScriptSafe);
    v.serialize(&mut ser)?;
    Ok(())
}

const CSS: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#fff;padding:16px 28px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;color:#cfd8dc}
main{padding:8px 28px 40px;max-width:1500px}
h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;background:#fff}
th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#eceff1;position:sticky;top:0} td.l,th.l{text-align:left}
.pass{color:#1b5e20;font-weight:600} .fail{color:#b71c1c;font-weight:600}
figure{margin:12px 0 24px;background:#fff;border:1px solid #e0e0e0;padding:8px;overflow-x:auto}
figure svg{max-width:100%;height:auto} figcaption{font-weight:600;margin-bottom:6px}
#pods th{cursor:pointer;user-select:none} #pods th.sorted-asc::after{content:" ▲"} #pods th.sorted-desc::after{content:" ▼"}
#pods tbody tr{cursor:pointer} #pods tbody tr:hover{background:#e3f2fd} #pods tbody tr.sel{background:#bbdefb}
.tablewrap{max-height:520px;overflow:auto;border:1px solid #e0e0e0}
#detail{background:#fff;border:1px solid #e0e0e0;padding:10px 14px;margin-top:14px;min-height:40px}
#filter{margin:0 0 8px;padding:4px 8px;width:320px}
.legend span{display:inline-block;margin-right:12px;font-size:12px} .legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
#errors{color:#b71c1c}
"#;

const SCRIPT: &str = r##"
(function(){
  var errors=[];
  window.addEventListener('error',function(e){errors.push(String(e.message));document.body.dataset.errors=errors.join(' | ');});
  var pods=JSON.parse(document.getElementById('data').textContent);
  var phases=JSON.parse(document.getElementById('phases').textContent);
  var cols=JSON.parse(document.getElementById('columns').textContent);
  var tbody=document.querySelector('#pods tbody');
  var order=pods.map(function(_,i){return i;});
  var sortKey=null, sortDir=1, selected=-1;
  function cell(p,c){ if(c.k==='pod') return p.ns+'/'+p.name; if(c.num) return p.v[c.k]; return p[c.k]; }
  function fmt(v,c){ if(v===undefined||v===null) return '–'; return c.num? v.toFixed(3): String(v); }
  function render(){
    var f=document.getElementById('filter').value.toLowerCase();
    var html=[];
    for(var j=0;j<order.length;j++){
      var i=order[j], p=pods[i];
      if(f && (p.ns+'/'+p.name+' '+p.node+' '+p.owner).toLowerCase().indexOf(f)<0) continue;
      var tds=cols.map(function(c){return '<td'+(c.num?'':' class="l"')+'>'+esc(fmt(cell(p,c),c))+'</td>';});
      html.push('<tr data-i="'+i+'"'+(i===selected?' class="sel"':'')+'>'+tds.join('')+'</tr>');
    }
    tbody.innerHTML=html.join('');
    document.getElementById('shown').textContent=html.length+' of '+pods.length+' pods';
  }
  function esc(s){return String(s).replace(/&/g,'&amp;').replace(/</g,'&lt;').replace(/>/g,'&gt;');}
  function sortBy(k){
    var c=cols.filter(function(c){return c.k===k;})[0];
    sortDir=(sortKey===k)?-sortDir:(c.num?-1:1); sortKey=k;
    order.sort(function(a,b){
      var x=cell(pods[a],c), y=cell(pods[b],c);
      var xm=(x===undefined||x===null), ym=(y===undefined||y===null);
      if(xm||ym) return xm===ym?0:(xm?1:-1);
      return (x<y?-1:x>y?1:0)*sortDir;
    });
    document.querySelectorAll('#pods th').forEach(function(th){
      th.classList.remove('sorted-asc','sorted-desc');
      if(th.dataset.k===k) th.classList.add(sortDir>0?'sorted-asc':'sorted-desc');
    });
    render();
  }
  function detail(i){
    selected=i; var p=pods[i];
    var end=0; for(var k in p.m){ if(p.m[k]>end) end=p.m[k]; }
    end=end>0?end*1.04:1;
    var W=1100, rowH=22, names=phases.filter(function(ph){return p.m[ph[1]]!==undefined&&p.m[ph[2]]!==undefined;});
    var H=40+rowH*names.length, x=function(t){return 170+(W-190)*t/end;};
    var s='<svg xmlns="http://www.w3.org/2000/svg" width="'+W+'" height="'+H+'" font-family="sans-serif" font-size="12">';
    names.forEach(function(ph,r){
      var a=p.m[ph[1]], b=p.m[ph[2]], y=10+r*rowH;
      s+='<text x="4" y="'+(y+14)+'">'+esc(ph[0])+'</text>';
      s+='<rect class="phase" x="'+x(Math.min(a,b))+'" y="'+y+'" width="'+Math.max(1,Math.abs(x(b)-x(a)))+'" height="'+(rowH-6)+'" fill="'+ph[3]+'"><title>'+esc(ph[0])+': '+(b-a).toFixed(3)+' ms</title></rect>';
      s+='<text x="'+(x(Math.max(a,b))+4)+'" y="'+(y+13)+'" fill="#555">'+(b-a).toFixed(3)+' ms</text>';
    });
    s+='<line x1="170" x2="'+(W-20)+'" y1="'+(H-22)+'" y2="'+(H-22)+'" stroke="#999"/>';
    s+='<text x="170" y="'+(H-6)+'" fill="#555">0 ms (requested)</text><text x="'+(W-20)+'" y="'+(H-6)+'" text-anchor="end" fill="#555">'+(end/1.04).toFixed(1)+' ms</text></svg>';
    var ms=Object.keys(p.m).sort(function(a,b){return p.m[a]-p.m[b];});
    var t='<table><tr><th class="l">milestone</th><th>+ms</th></tr>'+ms.map(function(k){return '<tr><td class="l">'+esc(k)+'</td><td>'+p.m[k].toFixed(3)+'</td></tr>';}).join('')+'</table>';
    document.getElementById('detail').innerHTML='<h3>'+esc(p.ns+'/'+p.name)+'</h3><p>node '+esc(p.node)+' · owner '+esc(p.owner)+' · image '+esc(p.image)+' · dominant phase '+esc(p.dominant||'–')+' · requested '+esc(p.origin||'missing')+'</p>'+s+t;
    render();
  }
  document.querySelectorAll('#pods th').forEach(function(th){th.addEventListener('click',function(){sortBy(th.dataset.k);});});
  tbody.addEventListener('click',function(e){var tr=e.target.closest('tr'); if(tr) detail(+tr.dataset.i);});
  document.getElementById('filter').addEventListener('input',render);
  render();
  if(location.hash==='#selftest'){
    var out='ok';
    try{
      var k=cols.filter(function(c){return c.num;})[0].k;
      sortBy(k); // descending first for numbers
      var vals=[].slice.call(tbody.querySelectorAll('tr')).map(function(tr){return pods[+tr.dataset.i].v[k];}).filter(function(v){return v!==undefined;});
      for(var i=1;i<vals.length;i++) if(vals[i]>vals[i-1]) throw new Error('not sorted by '+k);
      var first=tbody.querySelector('tr'); if(!first) throw new Error('no rows');
      first.click();
      var bars=document.querySelectorAll('#detail rect.phase').length;
      if(bars<1) throw new Error('no timeline bars');
      out='ok rows='+pods.length+' bars='+bars+' sorted='+k;
    }catch(e){ out='fail: '+e.message; }
    document.body.dataset.selftest=out;
  }
})();
"##;

/// Writes the report as a stream: the pods' data go out one pod at a time, so the memory it
/// takes grows with one pod, not with the run (the data of 200,000 pods built as one value and
/// one string took over a gigabyte).
pub fn write(
    r: &Report,
    a: &crate::Analysis,
    verdicts: &[Verdict],
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let first = r.rows.iter().filter_map(|p| p.start).min();
    let last = r
        .rows
        .iter()
        .flat_map(|p| p.milestones.values())
        .max()
        .copied();
    let range = match (first, last) {
        (Some(f), Some(l)) => format!(
            "{} → {}",
            podtrace_parsers::time::format_rfc3339_nanos(f),
            podtrace_parsers::time::format_rfc3339_nanos(l)
        ),
        _ => "no times".into(),
    };
    write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>podtrace report: {} pods</title><style>{CSS}</style></head><body>",
        r.rows.len()
    )?;
    write!(
        out,
        "<header><h1>podtrace report</h1><p>{} pods from {} files · {} · quantiles by linear interpolation (type 7) · podtrace {}</p></header><main><div id=\"errors\"></div>",
        r.rows.len(),
        a.files.len(),
        esc(&range),
        env!("CARGO_PKG_VERSION")
    )?;
    if !verdicts.is_empty() {
        out.write_all(b"<h2>SLO gates</h2><table><tr><th class=\"l\">gate</th><th class=\"l\">result</th><th class=\"l\">from</th></tr>")?;
        for v in verdicts {
            write!(
                out,
                "<tr><td class=\"l {}\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                if v.pass { "pass" } else { "fail" },
                if v.pass { "PASS" } else { "FAIL" },
                esc(&v.message),
                esc(&v.gate.origin)
            )?;
        }
        out.write_all(b"</table>")?;
    }
    out.write_all(b"<h2>All pods</h2><table><tr><th class=\"l\">metric</th><th>count</th><th>coverage</th><th>min</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>mean</th></tr>")?;
    let order: Vec<Phase> = AGGREGATES
        .iter()
        .copied()
        .chain(metrics().into_iter().filter(|m| !AGGREGATES.contains(m)))
        .collect();
    for m in order {
        if let Some(s) = r.stat("all", "all", m.as_str()) {
            let f = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), dur);
            write!(
                out,
                "<tr><td class=\"l\">{m}</td><td>{}</td><td>{:.1} %</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s.count,
                s.coverage * 100.0,
                f(s.min),
                f(s.p50),
                f(s.p90),
                f(s.p95),
                f(s.p99),
                f(s.max),
                f(s.mean)
            )?;
        }
    }
    out.write_all(b"</table><h2>Charts</h2>")?;
    // One chart's SVG at a time (plotters draws into a string).
    for c in Chart::ALL {
        if let Some(svg) = charts::svg(c, r, a)? {
            // The SVG's own XML declaration is not allowed inside HTML.
            let body = svg.trim_start_matches(|ch| ch != '<');
            let body = if body.starts_with("<?xml") {
                body.split_once("?>").map_or(body, |(_, rest)| rest)
            } else {
                body
            };
            write!(
                out,
                "<figure id=\"chart-{}\"><figcaption>{}<small>{}</small></figcaption>{body}</figure>",
                c.file_name(),
                c.title(),
                esc(c.caption())
            )?;
        }
    }
    // Pods table (filled by the script from the data below).
    let cols: Vec<Value> = [
        ("pod", false),
        ("node", false),
        ("owner", false),
        ("image", false),
        ("dominant", false),
    ]
    .iter()
    .map(|(k, _)| json!({"k": k, "num": false}))
    .chain(AGGREGATES.iter().map(|k| json!({"k": k, "num": true})))
    .chain(MAIN_PATH.iter().map(|k| json!({"k": k, "num": true})))
    .collect();
    out.write_all(b"<h2>Pods</h2><input id=\"filter\" placeholder=\"filter by name, node or owner\"> <span id=\"shown\"></span><div class=\"tablewrap\"><table id=\"pods\"><thead><tr>")?;
    for c in &cols {
        let k = c["k"].as_str().unwrap_or("");
        let num = c["num"].as_bool().unwrap_or(false);
        write!(
            out,
            "<th data-k=\"{k}\"{}>{}</th>",
            if num { "" } else { " class=\"l\"" },
            if num {
                format!("{k} (ms)")
            } else {
                k.to_owned()
            }
        )?;
    }
    out.write_all(b"</tr></thead><tbody></tbody></table></div><p class=\"legend\">")?;
    for (k, p) in MAIN_PATH.iter().enumerate() {
        let RGBColor(r_, g, b) = charts::COLORS[k];
        write!(
            out,
            "<span><i style=\"background:rgb({r_},{g},{b})\"></i>{p}</span>"
        )?;
    }
    out.write_all(b"</p><div id=\"detail\">Click a pod for its timeline.</div></main>")?;
    let phases: Vec<Value> = MAIN_PATH
        .iter()
        .enumerate()
        .filter_map(|(k, p)| {
            let (_, f, t) = crate::timeline::PHASES.iter().find(|(n, _, _)| n == p)?;
            let RGBColor(r_, g, b) = charts::COLORS[k];
            Some(json!([p, f, t, format!("rgb({r_},{g},{b})")]))
        })
        .collect();
    out.write_all(b"<script type=\"application/json\" id=\"data\">[")?;
    for (i, p) in r.rows.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        script_json(&pod_data(p), out)?;
    }
    out.write_all(b"]</script><script type=\"application/json\" id=\"phases\">")?;
    script_json(&phases, out)?;
    out.write_all(b"</script><script type=\"application/json\" id=\"columns\">")?;
    script_json(&cols, out)?;
    writeln!(out, "</script><script>{SCRIPT}</script></body></html>")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_has_no_markup_and_parses_back() {
        let s = "x<!--<script></script>&amp;\u{2028}\u{2029}\"\\é";
        let mut out = Vec::new();
        script_json(&json!({"k<": s}), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            r#"{"k\u003c":"x\u003c!--\u003cscript\u003e\u003c/script\u003e\u0026amp;\u2028\u2029\"\\é"}"#
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["k<"], s);
    }
}
