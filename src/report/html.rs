//! The one-file HTML report: summary, gates, statistics, every chart as inline SVG, a sortable
//! and filterable table of pods, and a per-pod timeline on click. No network: CSS, script,
//! charts and data are all inside the file.
//!
//! Opened as `report.html#selftest`, the page exercises itself (sorts a column, opens a pod,
//! checks that nothing is wider than the window and no label of the pod's timeline is cut) and
//! writes the outcome into `<body data-selftest>`; the browser test reads it back.

use std::collections::BTreeMap;
use std::io::Write;

use plotters::style::RGBColor;
use serde::Serialize;
use serde_json::{Value, json};

use super::charts::{self, Chart, MAIN_PATH};
use super::render::dur;
use super::slo::Verdict;
use super::{AGGREGATES, PodRow, Report, metrics};
use crate::timeline::{Ms, Phase, PodTimeline};

/// Text for the page: HTML's special characters as entities, and control characters from log
/// text shown as escapes (`\x1b`), as in the page's data, so that not even a `cat` of the file
/// can drive a terminal.
fn esc(s: &str) -> String {
    crate::export::escape::escape(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn ms3(ns: f64) -> f64 {
    // Milliseconds with µs resolution keep the file small and exact enough for a page.
    (ns / 1e3).round() / 1e3
}

/// One pod for the script: values in ms; milestones in ms from the pod's origin. Keys of `v`
/// and `m` in name order, as the page's data always listed them. The pod detail's own data
/// (evidence, nested phases, failures, findings) come from the pod's timeline when it is found.
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
    /// Milestone → (index into the page's file list, line): the `path:line` it was read from,
    /// without a copy of the path per milestone.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    e: BTreeMap<&'a str, (usize, u32)>,
    /// Nested phases: (name, main-path phase it belongs to, from, to) in ms from the origin.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sub: Vec<(String, Phase, f64, f64)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    f: Vec<FailureData<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    x: &'a [String],
}

#[derive(Serialize)]
struct FailureData<'a> {
    cause: &'a str,
    message: &'a str,
    evidence: &'a str,
    count: usize,
    /// ms from the first report to the milestone that ended it.
    held: Option<f64>,
    by: Option<&'a str>,
}

/// The paths milestones were read from, each listed once in the page.
#[derive(Default)]
struct Files {
    list: Vec<std::sync::Arc<str>>,
    index: std::collections::HashMap<std::sync::Arc<str>, usize>,
}

impl Files {
    fn id(&mut self, f: &std::sync::Arc<str>) -> usize {
        if let Some(&i) = self.index.get(f) {
            return i;
        }
        self.list.push(f.clone());
        self.index.insert(f.clone(), self.list.len() - 1);
        self.list.len() - 1
    }
}

fn pod_data<'a>(p: &'a PodRow, t: Option<&'a PodTimeline>, files: &mut Files) -> PodData<'a> {
    let origin = p
        .milestones
        .get(&Ms::Requested)
        .or_else(|| p.milestones.get(&Ms::Created))
        .copied()
        .or_else(|| p.milestones.values().min().copied());
    let rel = |t: i64| origin.map(|o| ms3((t - o) as f64));
    let mut d = PodData {
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
        e: BTreeMap::new(),
        sub: Vec::new(),
        f: Vec::new(),
        x: &[],
    };
    let Some(t) = t else { return d };
    d.e = t
        .milestones
        .iter()
        .map(|(k, m)| (k.as_str(), (files.id(&m.evidence.file), m.evidence.line)))
        .collect();
    // The nested phases under the main path: volumes in kubelet_prep, the network in the
    // sandbox, each container's pull, create and start in containers.
    for (ph, parent) in [
        (Phase::Volumes, Phase::KubeletPrep),
        (Phase::Network, Phase::Sandbox),
    ] {
        let Some((_, from, to)) = crate::timeline::PHASES.iter().find(|(n, _, _)| *n == ph) else {
            continue;
        };
        if let (Some(a), Some(b)) = (t.milestones.get(from), t.milestones.get(to))
            && let (Some(a), Some(b)) = (rel(a.t), rel(b.t))
        {
            d.sub.push((ph.as_str().to_owned(), parent, a, b));
        }
    }
    for c in &t.containers {
        for (ph, from, to) in crate::timeline::CONTAINER_PHASES {
            if let (Some(a), Some(b)) = (c.milestones.get(&from), c.milestones.get(&to))
                && let (Some(a), Some(b)) = (rel(a.t), rel(b.t))
            {
                let kind = if c.init { "init " } else { "" };
                d.sub
                    .push((format!("{ph} {kind}{}", c.name), Phase::Containers, a, b));
            }
        }
    }
    d.f = t
        .failures
        .iter()
        .map(|f| FailureData {
            cause: &f.cause,
            message: &f.message,
            evidence: &f.evidence,
            count: f.count,
            held: f.held_nanos.map(|n| ms3(n as f64)),
            by: f.resolved_by.map(|m| m.as_str()),
        })
        .collect();
    d.x = &t.findings;
    d
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
#filter{margin:0 0 8px;padding:4px 8px;width:320px;max-width:100%;box-sizing:border-box}
.legend span{display:inline-block;margin-right:12px;font-size:12px} .legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
#errors{color:#b71c1c}
figcaption small{display:block;font-weight:400;color:#555;margin-top:2px}
.scroll{max-width:100%;overflow-x:auto}
#detail h4{margin:14px 0 6px;font-size:14px} #detail h4.fail{color:#b71c1c} #detail h4.finding{color:#e65100}
table.wrap td.ev,table.wrap td.msg{white-space:normal;overflow-wrap:anywhere;min-width:18em;max-width:40em}
td.fail{color:#b71c1c;font-weight:600} ul.findings{margin:4px 0;padding-left:20px;color:#e65100;overflow-wrap:anywhere}
p.cp{display:flex;flex-wrap:wrap;gap:4px 6px;align-items:center;font-size:13px;margin:4px 0}
p.cp span{white-space:nowrap} p.cp span.dom{font-weight:700} p.cp i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
p.cp .arrow{color:#999}
#detail p{overflow-wrap:anywhere}
@media (max-width:700px){main{padding:8px 10px 30px} header{padding:12px 14px} #filter{width:100%;box-sizing:border-box}}
"#;

const SCRIPT: &str = r##"
(function(){
  var errors=[];
  window.addEventListener('error',function(e){errors.push(String(e.message));document.body.dataset.errors=errors.join(' | ');});
  var pods=JSON.parse(document.getElementById('data').textContent);
  var phases=JSON.parse(document.getElementById('phases').textContent);
  var files=JSON.parse(document.getElementById('files').textContent);
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
    document.getElementById('shown').textContent=html.length+' of '+pods.length+(pods.length===1?' pod':' pods');
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
  function human(v){
    var a=Math.abs(v);
    if(a<1000) return v.toFixed(3)+' ms';
    if(a<120000) return (v/1000).toFixed(3)+' s';
    return Math.trunc(v/60000)+' m '+((v%60000)/1000).toFixed(1)+' s';
  }
  function cut(s,n){ s=String(s); return s.length<=n? s: s.slice(0,Math.ceil((n-1)/3))+'\u2026'+s.slice(s.length-Math.floor((n-1)*2/3)); }
  function evidence(p,k){ var e=p.e&&p.e[k]; return e? files[e[0]]+':'+e[1]: ''; }
  // The pod's timeline: main-path phases, each followed by its nested phases (indented), bars
  // scaled to the box's width; a duration that would run past the right edge goes left of its bar.
  function timeline(p){
    var end=0; for(var k in p.m){ if(p.m[k]>end) end=p.m[k]; }
    (p.sub||[]).forEach(function(s){ if(s[3]>end) end=s[3]; });
    end=end>0?end:1;
    var rows=[];
    phases.forEach(function(ph){
      if(p.m[ph[1]]!==undefined&&p.m[ph[2]]!==undefined) rows.push({n:ph[0],a:p.m[ph[1]],b:p.m[ph[2]],c:ph[3],sub:false});
      (p.sub||[]).forEach(function(s){ if(s[1]===ph[0]) rows.push({n:s[0],a:s[2],b:s[3],c:ph[3],sub:true}); });
    });
    var box=document.getElementById('detail').clientWidth-30;
    // As wide as the box (a phone's too), names in a narrower column there.
    var W=Math.max(320,Math.min(1100,box)), L=W<700?130:190, R=16, rowH=22, H=40+rowH*rows.length, nc=W<700?18:28;
    var x=function(t){return L+(W-L-R)*t/end;};
    var s='<svg xmlns="http://www.w3.org/2000/svg" width="'+W+'" height="'+H+'" font-family="sans-serif" font-size="12">';
    rows.forEach(function(r,k){
      var y=10+k*rowH, a=Math.min(r.a,r.b), b=Math.max(r.a,r.b), d=r.b-r.a, label=human(d);
      s+='<text x="'+(r.sub?18:4)+'" y="'+(y+14)+'"'+(r.sub?' fill="#555"':'')+'>'+esc(cut(r.n,r.sub?nc-2:nc))+'<title>'+esc(r.n)+'</title></text>';
      s+='<rect class="'+(r.sub?'sub':'phase')+'" x="'+x(a)+'" y="'+(y+(r.sub?4:0))+'" width="'+Math.max(1,x(b)-x(a))+'" height="'+(r.sub?rowH-14:rowH-6)+'" fill="'+r.c+'"'+(r.sub?' fill-opacity="0.55"':'')+'><title>'+esc(r.n)+': '+label+'</title></rect>';
      var tw=label.length*7, right=x(b)+4+tw<=W-2;
      s+='<text x="'+(right?x(b)+4:Math.max(L+tw,x(a)-4))+'" y="'+(y+13)+'"'+(right?'':' text-anchor="end"')+' fill="#555">'+label+'</text>';
    });
    s+='<line x1="'+L+'" x2="'+(W-R)+'" y1="'+(H-22)+'" y2="'+(H-22)+'" stroke="#999"/>';
    s+='<text x="'+L+'" y="'+(H-6)+'" fill="#555">0 (requested)</text><text x="'+(W-R)+'" y="'+(H-6)+'" text-anchor="end" fill="#555">'+human(end)+'</text></svg>';
    return s;
  }
  function detail(i){
    selected=i; var p=pods[i];
    var h='<h3>'+esc(p.ns+'/'+p.name)+'</h3><p>node '+esc(p.node)+' · owner '+esc(p.owner)+' · image '+esc(p.image)+' · dominant phase '+esc(p.dominant||'–')+' · requested '+esc(p.origin||'missing')+'</p>';
    // The critical path: the main path in order, the phase that took longest in bold.
    var total=0, path=phases.filter(function(ph){return p.v[ph[0]]!==undefined;});
    path.forEach(function(ph){ total+=Math.max(0,p.v[ph[0]]); });
    if(path.length){
      h+='<h4>Critical path</h4><p class="cp">'+path.map(function(ph){
        var v=p.v[ph[0]], t=esc(ph[0])+' '+human(v)+(total>0?' ('+(100*Math.max(0,v)/total).toFixed(0)+' %)':'');
        return '<span'+(ph[0]===p.dominant?' class="dom"':'')+'><i style="background:'+ph[3]+'"></i>'+t+'</span>';
      }).join('<span class="arrow">→</span>')+'</p>';
    }
    h+='<h4>Timeline</h4><div class="scroll">'+timeline(p)+'</div>';
    if(p.f&&p.f.length){
      h+='<h4 class="fail">Failures</h4><div class="scroll"><table class="wrap"><tr><th class="l">cause</th><th>count</th><th>held</th><th class="l">ended by</th><th class="l">first seen</th><th class="l">message</th></tr>'+p.f.map(function(f){
        return '<tr><td class="l fail">'+esc(f.cause)+'</td><td>'+f.count+'</td><td>'+(f.held==null?'–':human(f.held))+'</td><td class="l">'+esc(f.by||'not ended')+'</td><td class="l ev">'+esc(f.evidence)+'</td><td class="l msg">'+esc(f.message)+'</td></tr>';
      }).join('')+'</table></div>';
    }
    if(p.x&&p.x.length){
      h+='<h4 class="finding">Findings</h4><ul class="findings">'+p.x.map(function(x){return '<li>'+esc(x)+'</li>';}).join('')+'</ul>';
    }
    var ms=Object.keys(p.m).sort(function(a,b){return p.m[a]-p.m[b];});
    h+='<h4>Milestones and their evidence</h4><div class="scroll"><table class="wrap"><tr><th class="l">milestone</th><th>+ms</th><th class="l">evidence (path:line)</th></tr>'+ms.map(function(k){return '<tr><td class="l">'+esc(k)+'</td><td>'+p.m[k].toFixed(3)+'</td><td class="l ev">'+esc(evidence(p,k)||'–')+'</td></tr>';}).join('')+'</table></div>';
    document.getElementById('detail').innerHTML=h;
    render();
  }
  document.querySelectorAll('#pods th').forEach(function(th){th.addEventListener('click',function(){sortBy(th.dataset.k);});});
  tbody.addEventListener('click',function(e){var tr=e.target.closest('tr'); if(tr) detail(+tr.dataset.i);});
  document.getElementById('filter').addEventListener('input',render);
  render();
  if(location.hash.indexOf('#selftest')===0){
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
      // Layout: nothing wider than the window, no text of the pod's timeline cut by its box.
      var sw=document.documentElement.scrollWidth, iw=window.innerWidth;
      if(sw>iw) throw new Error('page '+sw+' px wide in a '+iw+' px window');
      var svg=document.querySelector('#detail svg'), W=+svg.getAttribute('width'), clipped=[];
      svg.querySelectorAll('text').forEach(function(t){ var b=t.getBBox(); if(b.x<0||b.x+b.width>W+0.5) clipped.push(t.textContent); });
      if(clipped.length) throw new Error('clipped labels: '+clipped.join(', '));
      var subs=document.querySelectorAll('#detail rect.sub').length, ev=document.querySelectorAll('#detail td.ev').length;
      out='ok rows='+pods.length+' bars='+bars+' nested='+subs+' evidence='+ev+' sorted='+k+' width='+sw+'/'+iw;
    }catch(e){ out='fail: '+e.message; }
    document.body.dataset.selftest=out;
    // `#selftest-detail` moves the opened pod to the top (for a screenshot); a page framed by the browser
    // test at a phone's width reports to its frame.
    if(location.hash==='#selftest-detail'){ var d=document.getElementById('detail'); d.parentNode.insertBefore(d,d.parentNode.firstChild); }
    if(window.parent!==window) window.parent.postMessage('selftest '+out,'*');
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
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>podtrace report: {}</title><style>{CSS}</style></head><body>",
        charts::plural(r.rows.len(), "pod", "pods")
    )?;
    write!(
        out,
        "<header><h1>podtrace report</h1><p>{} from {} · {} · quantiles by linear interpolation (type 7) · podtrace {}</p></header><main><div id=\"errors\"></div>",
        charts::plural(r.rows.len(), "pod", "pods"),
        charts::plural(a.files.len(), "file", "files"),
        esc(&range),
        env!("CARGO_PKG_VERSION")
    )?;
    // The report's conclusion first, as the text report ends with it (log text escaped).
    let [v1, v2] = super::render::verdict(r, verdicts);
    write!(
        out,
        "<h2>Verdict</h2><p class=\"verdict\">{}<br>{}</p>",
        esc(&v1),
        esc(&v2)
    )?;
    if !verdicts.is_empty() {
        out.write_all(b"<h2>SLO gates</h2><div class=\"scroll\"><table><tr><th class=\"l\">gate</th><th class=\"l\">result</th><th class=\"l\">from</th></tr>")?;
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
        out.write_all(b"</table></div>")?;
    }
    out.write_all(b"<h2>All pods</h2><div class=\"scroll\"><table><tr><th class=\"l\">metric</th><th>count</th><th>coverage</th><th>min</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>mean</th></tr>")?;
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
    out.write_all(b"</table></div><h2>Charts</h2>")?;
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
    // Rows are built from the analysis' pods in order; a row is matched to its timeline by
    // identity all the same, so a report of a subset still finds each pod's detail.
    let timelines: std::collections::HashMap<(&str, &str, Option<&str>), &PodTimeline> = a
        .pods
        .iter()
        .map(|t| ((t.namespace.as_str(), t.name.as_str(), t.uid.as_deref()), t))
        .collect();
    let mut files = Files::default();
    out.write_all(b"<script type=\"application/json\" id=\"data\">[")?;
    for (i, p) in r.rows.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let t = timelines
            .get(&(p.namespace.as_str(), p.name.as_str(), p.uid.as_deref()))
            .copied();
        script_json(&pod_data(p, t, &mut files), out)?;
    }
    out.write_all(b"]</script><script type=\"application/json\" id=\"files\">")?;
    script_json(&files.list, out)?;
    out.write_all(b"</script><script type=\"application/json\" id=\"phases\">")?;
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

    #[test]
    fn page_text_escapes_markup_and_controls() {
        // A failure kind from an Event, as the verdict carries it.
        assert_eq!(
            esc("=Fa|il\u{1b}[31m<b>\"x\" & y"),
            "=Fa|il\\x1b[31m&lt;b&gt;&quot;x&quot; &amp; y"
        );
    }
}
