//! `podtrace simulate`: a deterministic generator of realistic bundles (kind layout) with a
//! ground-truth file.
//!
//! It shares no code with the parsers on purpose: a generator that reused the parser's notion of
//! a format would hide the parser's mistakes. Every line is written here with `format!` in the
//! exact shape the components write (see the real samples in `samples/real/`).
//!
//! Truth is kept in UTC microseconds (klog and audit print µs; containerd prints 9 digits, the
//! last three zero here), so a correct reader reproduces it exactly when clocks are not skewed.

use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub pods: usize,
    /// Worker nodes (the control plane is one more).
    pub nodes: usize,
    pub seed: u64,
    /// Each worker's clock is off by a fixed amount drawn in ±this (ms).
    pub skew_ms: u64,
    /// UTC offset of every node's local clock, hours (klog headers, journald, containerd).
    pub timezone_hours: i32,
    pub containerd2: bool,
    /// Noise lines per relevant line (leases, volume reconcilers, image events…).
    pub noise: usize,
    /// One pod in ten is unschedulable for a while, one in ten fails its first pull and backs off.
    pub failures: bool,
    /// One pod in five runs an init container before its app container.
    pub init_containers: bool,
    /// One pod in ten has its app container crash once and restart (`Attempt:1`).
    pub restarts: bool,
    pub gzip: bool,
    /// First pod creation, UTC microseconds.
    pub start_us: i64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            pods: 10,
            nodes: 2,
            seed: 1,
            skew_ms: 0,
            timezone_hours: 0,
            containerd2: false,
            noise: 0,
            failures: false,
            init_containers: false,
            restarts: false,
            gzip: false,
            // 2025-03-17T10:00:00Z
            start_us: 1_742_205_600_000_000,
        }
    }
}

/// SplitMix64: tiny, and stable forever, so a seed names the same bundle in every version.
/// (Also the report's bootstrap: same data, same intervals.)
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi] (microseconds or anything else).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }
}

/// One pod's true story (UTC µs) — written to `ground-truth.json`.
#[derive(Debug, Clone, Serialize)]
pub struct TruthPod {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub node: String,
    pub ip: String,
    pub service: String,
    pub image: String,
    pub image_cached: bool,
    pub sandbox_id: String,
    pub container_id: String,
    /// Milestone name → UTC µs, in docs/phases.md names.
    pub milestones: std::collections::BTreeMap<String, i64>,
    /// Per worker node, when its kube-proxy finished programming the endpoint (UTC µs).
    pub programmed: std::collections::BTreeMap<String, i64>,
    /// What held the pod back: (cause as podtrace names it, first report UTC µs, resolving milestone).
    pub failures: Vec<(String, i64, String)>,
    /// The init container's (created, started, exit seen by PLEG) UTC µs, when the pod has one.
    pub init_container: Option<(i64, i64, i64)>,
    /// App container restarts.
    pub restarts: u32,
}

#[derive(Debug, Serialize)]
pub struct Truth {
    pub seed: u64,
    pub nodes: Vec<String>,
    /// Node → its clock's offset from true time, µs (local stamps = truth + skew + timezone).
    pub skew_us: std::collections::BTreeMap<String, i64>,
    pub timezone_hours: i32,
    pub pods: Vec<TruthPod>,
}

/// A line waiting to be written, ordered by time (then by insertion, for stable output).
struct Pending {
    t: i64,
    seq: u64,
    text: String,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.t, self.seq) == (o.t, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        // BinaryHeap is a max-heap: reverse for oldest first.
        (o.t, o.seq).cmp(&(self.t, self.seq))
    }
}

/// One output file: lines are queued with their time and written in time order once no earlier
/// line can still come (pods are generated in creation order).
struct Out {
    w: Box<dyn Write>,
    heap: BinaryHeap<Pending>,
    seq: u64,
    bytes: u64,
    path: PathBuf,
    /// Each written line's time (UTC µs), for a live replay.
    times: Vec<i64>,
}

impl Out {
    fn create(path: &Path, gzip: bool) -> io::Result<Out> {
        fs::create_dir_all(path.parent().expect("has a parent"))?;
        let w: Box<dyn Write> = if gzip {
            let f = File::create(path.with_extension(format!(
                "{}.gz",
                path.extension().and_then(|e| e.to_str()).unwrap_or("log")
            )))?;
            Box::new(flate2::write::GzEncoder::new(
                BufWriter::new(f),
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(BufWriter::with_capacity(1 << 20, File::create(path)?))
        };
        Ok(Out {
            w,
            heap: BinaryHeap::new(),
            seq: 0,
            bytes: 0,
            path: path.to_path_buf(),
            times: Vec::new(),
        })
    }
    fn push(&mut self, t: i64, text: String) {
        self.seq += 1;
        self.heap.push(Pending {
            t,
            seq: self.seq,
            text,
        });
    }
    fn flush_before(&mut self, t: i64) -> io::Result<()> {
        while self.heap.peek().is_some_and(|p| p.t < t) {
            let p = self.heap.pop().expect("peeked");
            self.bytes += p.text.len() as u64 + 1;
            self.times.push(p.t);
            self.w.write_all(p.text.as_bytes())?;
            self.w.write_all(b"\n")?;
        }
        Ok(())
    }
    fn finish(mut self, timed: &mut Vec<(PathBuf, Vec<i64>)>) -> io::Result<u64> {
        self.flush_before(i64::MAX)?;
        self.w.flush()?;
        timed.push((self.path, self.times));
        Ok(self.bytes)
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Civil date-time of UTC µs + offset seconds.
fn civil(us: i64, offset_s: i64) -> (i64, u32, u32, i64, i64, i64, i64) {
    let us = us + offset_s * 1_000_000;
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Days → civil (H. Hinnant), written out here rather than shared with the parsers.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, sod / 3600, (sod / 60) % 60, sod % 60, frac)
}

fn zone(offset_s: i64, colon: bool) -> String {
    if offset_s == 0 {
        return "Z".into();
    }
    let sign = if offset_s < 0 { '-' } else { '+' };
    let a = offset_s.abs();
    if colon {
        format!("{sign}{:02}:{:02}", a / 3600, (a / 60) % 60)
    } else {
        format!("{sign}{:02}{:02}", a / 3600, (a / 60) % 60)
    }
}

/// `Mar 17 10:00:00` (journald short, local).
fn journal_prefix(us: i64, off: i64) -> String {
    let (_, m, d, h, mi, s, _) = civil(us, off);
    format!("{} {d:02} {h:02}:{mi:02}:{s:02}", MONTHS[m as usize - 1])
}

/// `I0317 10:00:00.123456` (klog header time, local).
fn klog_time(us: i64, off: i64) -> String {
    let (_, m, d, h, mi, s, f) = civil(us, off);
    format!("{m:02}{d:02} {h:02}:{mi:02}:{s:02}.{f:06}")
}

/// RFC 3339 with exactly 9 fractional digits (containerd's RFC3339NanoFixed).
fn rfc3339_fixed(us: i64, off: i64) -> String {
    let (y, m, d, h, mi, s, f) = civil(us, off);
    format!(
        "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:06}000{}",
        zone(off, true)
    )
}

/// RFC3339Nano with trailing zeros trimmed (CRI log files).
fn rfc3339_trimmed(us: i64, off: i64) -> String {
    let (y, m, d, h, mi, s, f) = civil(us, off);
    let frac = format!("{f:06}");
    let frac = frac.trim_end_matches('0');
    let dot = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}{dot}{}",
        zone(off, true)
    )
}

/// Audit MicroTime: UTC, exactly 6 digits.
fn micro_time(us: i64) -> String {
    let (y, m, d, h, mi, s, f) = civil(us, 0);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:06}Z")
}

/// Whole seconds, as metav1.Time.
fn seconds_time(us: i64) -> String {
    let (y, m, d, h, mi, s, _) = civil(us, 0);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Go `time.Time.String()` in UTC with a monotonic suffix.
fn go_time(us: i64, mono_base: i64) -> String {
    let (y, m, d, h, mi, s, f) = civil(us, 0);
    let mono = (us - mono_base) as f64 / 1e6;
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}.{f:06}000 +0000 UTC m=+{mono:.9}")
}

fn go_duration(us: i64) -> String {
    if us >= 60_000_000 {
        format!("{}m{}s", us / 60_000_000, (us % 60_000_000) as f64 / 1e6)
    } else {
        format!("{}s", us as f64 / 1e6)
    }
}

struct Node {
    name: String,
    skew_us: i64,
    kubelet: Out,
    runtime: Out,
    proxy: Out,
    ip_base: u32,
}

/// Writes a bundle under `dir`; returns the truth (also written as `ground-truth.json`) and the
/// bytes written.
pub fn generate(dir: &Path, o: &SimOptions) -> io::Result<(Truth, u64)> {
    generate_timed(dir, o).map(|(t, b, _)| (t, b))
}

/// [`generate`], also returning each file written with the time of each of its lines (UTC µs,
/// the writer's clock), for [`replay`].
pub fn generate_timed(dir: &Path, o: &SimOptions) -> io::Result<(Truth, u64, Timed)> {
    let mut timed = Vec::new();
    let mut rng = Rng(o.seed);
    let tz = i64::from(o.timezone_hours) * 3600;
    let cp = dir.join("kind-control-plane");
    let mut audit = Out::create(&cp.join("kubernetes/kube-apiserver-audit.log"), o.gzip)?;
    let sched_id = rng.hex(64);
    let mut sched = Out::create(
        &cp.join(format!(
            "containers/kube-scheduler-kind-control-plane_kube-system_kube-scheduler-{sched_id}.log"
        )),
        o.gzip,
    )?;
    let mut nodes: Vec<Node> = Vec::new();
    let mut truth = Truth {
        seed: o.seed,
        nodes: Vec::new(),
        skew_us: Default::default(),
        timezone_hours: o.timezone_hours,
        pods: Vec::new(),
    };
    for i in 0..o.nodes.max(1) {
        let name = if i == 0 {
            "kind-worker".to_owned()
        } else {
            format!("kind-worker{}", i + 1)
        };
        let skew_us = if o.skew_ms == 0 {
            0
        } else {
            rng.range(-(o.skew_ms as i64) * 1000, o.skew_ms as i64 * 1000)
        };
        let nd = dir.join(&name);
        let proxy_id = rng.hex(64);
        let suffix = rng.hex(5);
        nodes.push(Node {
            kubelet: Out::create(&nd.join("kubelet.log"), o.gzip)?,
            runtime: Out::create(&nd.join("containerd.log"), o.gzip)?,
            proxy: Out::create(
                &nd.join(format!(
                    "containers/kube-proxy-{suffix}_kube-system_kube-proxy-{proxy_id}.log"
                )),
                o.gzip,
            )?,
            ip_base: 0x0AF4_0000 + ((i as u32 + 1) << 8),
            name: name.clone(),
            skew_us,
        });
        truth.nodes.push(name.clone());
        truth.skew_us.insert(name, skew_us);
    }
    let services: Vec<String> = (0..(o.pods / 20).clamp(1, 50))
        .map(|i| format!("svc-{i}"))
        .collect();
    let images = [
        "docker.io/library/nginx:1.27",
        "registry.k8s.io/e2e-test-images/agnhost:2.53",
        "docker.io/library/busybox:1.36",
    ];
    let mut cached = vec![vec![false; images.len()]; nodes.len()];
    let mono_base = o.start_us - 3_600_000_000;
    let kpid = 247;
    let cpid = 112;
    let mut t0 = o.start_us;
    let mut sync_requests: Vec<Vec<(i64, usize)>> = vec![Vec::new(); nodes.len()];
    for p in 0..o.pods {
        t0 += rng.range(20_000, 400_000);
        let n = rng.range(0, nodes.len() as i64 - 1) as usize;
        let svc = &services[p % services.len()];
        let name = format!("{svc}-{}-{}", rng.hex(10), rng.hex(5));
        let uid = rng.uuid();
        let img_i = rng.range(0, images.len() as i64 - 1) as usize;
        let image = images[img_i];
        let unschedulable = o.failures && p % 10 == 3;
        let bad_pull = o.failures && p % 10 == 7;
        let was_cached = cached[n][img_i] && !bad_pull;
        let mut failures: Vec<(String, i64, String)> = Vec::new();
        cached[n][img_i] = true;
        let sandbox = rng.hex(64);
        let cid = rng.hex(64);
        let ip_n = nodes[n].ip_base + 2 + p as u32 % 250;
        let ip = format!(
            "{}.{}.{}.{}",
            ip_n >> 24,
            (ip_n >> 16) & 255,
            (ip_n >> 8) & 255,
            ip_n & 255
        );
        // The true story, UTC µs.
        let requested = t0;
        let created = requested + rng.range(3_000, 20_000);
        let attempted = created + rng.range(300, 3_000);
        // Unschedulable at first: a second attempt once capacity frees up.
        let retry = if unschedulable {
            rng.range(1_000_000, 4_000_000)
        } else {
            0
        };
        let attempted_ok = attempted + retry;
        let bind_rx = attempted_ok + rng.range(1_000, 8_000);
        let scheduled = bind_rx + rng.range(2_000, 9_000);
        let bound_log = scheduled + rng.range(100, 900);
        let seen = scheduled + rng.range(1_000, 6_000);
        let volumes = seen + rng.range(20_000, 120_000);
        let sb_start = volumes + rng.range(500, 5_000);
        let net_start = sb_start + rng.range(15_000, 60_000);
        let net_ready = net_start + rng.range(30_000, 150_000);
        let sb_ready = net_ready + rng.range(5_000, 30_000);
        // An init container runs to completion before anything of the app container starts.
        let has_init = o.init_containers && p % 5 == 1;
        let init_create = sb_ready + rng.range(1_000, 3_000);
        let init_created = init_create + rng.range(10_000, 30_000);
        let init_started = init_created + rng.range(20_000, 60_000);
        let init_done = if has_init {
            init_started + rng.range(300_000, 800_000)
        } else {
            sb_ready
        };
        let restarts = u32::from(o.restarts && p % 10 == 9);
        // A failed first pull: the kubelet backs off, then pulls again.
        let first_pull = init_done + rng.range(1_000, 4_000);
        let pull_failed_at = first_pull + rng.range(200_000, 900_000);
        let pull_start = if bad_pull {
            pull_failed_at + rng.range(2_000_000, 5_000_000)
        } else {
            first_pull
        };
        let pull_end = if was_cached {
            pull_start
        } else {
            pull_start + rng.range(500_000, 6_000_000)
        };
        let create_start = pull_end + rng.range(1_000, 5_000);
        let created_c = create_start + rng.range(15_000, 60_000);
        let started = created_c + rng.range(40_000, 120_000);
        // A crash right after the first start, and the restart (Attempt:1) after the back-off.
        let crash = started + rng.range(500_000, 1_500_000);
        let re_create = crash + rng.range(10_000_000, 10_500_000);
        let re_created = re_create + rng.range(15_000, 60_000);
        let re_started = re_created + rng.range(40_000, 120_000);
        let last_start = if restarts > 0 { re_started } else { started };
        let pleg = last_start + rng.range(100_000, 990_000);
        let ready = pleg + rng.range(200_000, 3_000_000);
        let patch_rx = ready + rng.range(1_000, 10_000);
        let reported = patch_rx + rng.range(2_000, 8_000);
        let watch = reported + rng.range(1_000, 15_000);
        let slice_rx = reported + rng.range(2_000, 40_000);
        let endpoints = slice_rx + rng.range(2_000, 8_000);
        let mut m = std::collections::BTreeMap::new();
        for (k, v) in [
            ("requested", requested),
            ("created", created),
            ("schedule_attempted", attempted),
            ("scheduled", scheduled),
            ("kubelet_seen", seen),
            ("volumes_ready", volumes),
            ("sandbox_started", sb_start),
            ("network_started", net_start),
            ("network_ready", net_ready),
            ("sandbox_ready", sb_ready),
            ("running", started),
            ("running_observed", watch),
            ("ready", ready),
            ("ready_reported", reported),
            ("endpoints_updated", endpoints),
        ] {
            m.insert(k.to_owned(), v);
        }
        // Nothing later than this pod's creation can precede the next pod's lines.
        audit.flush_before(requested)?;
        sched.flush_before(requested)?;
        for nd in nodes.iter_mut() {
            nd.kubelet
                .flush_before(requested + nd.skew_us - 1_000_000)?;
            nd.runtime
                .flush_before(requested + nd.skew_us - 1_000_000)?;
            nd.proxy.flush_before(requested + nd.skew_us - 1_000_000)?;
        }

        // --- audit (control-plane clock = truth) ---
        let ns = "sim";
        let pod_body = format!(
            r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"{name}","namespace":"{ns}","uid":"{uid}","resourceVersion":"{}","creationTimestamp":"{}","labels":{{"app":"{svc}"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"{svc}-rs","uid":"00000000-0000-4000-a000-000000000001","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"containers":[{{"name":"app","image":"{image}","resources":{{}}}}],"restartPolicy":"Always","schedulerName":"default-scheduler"}},"status":{{"phase":"Pending","qosClass":"BestEffort"}}}}"#,
            1000 + p,
            seconds_time(created)
        );
        audit.push(created, format!(r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"{}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/pods","verb":"create","user":{{"username":"system:serviceaccount:kube-system:replicaset-controller","groups":["system:serviceaccounts","system:authenticated"]}},"sourceIPs":["172.18.0.3"],"userAgent":"kube-controller-manager/v1.31.0 (linux/amd64) kubernetes/9edcffc/system:serviceaccount:kube-system:replicaset-controller","objectRef":{{"resource":"pods","namespace":"{ns}","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":201}},"requestObject":{{"kind":"Pod","apiVersion":"v1","metadata":{{"generateName":"{svc}-rs-","namespace":"{ns}"}}}},"responseObject":{pod_body},"requestReceivedTimestamp":"{}","stageTimestamp":"{}","annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed"}}}}"#, rng.uuid(), micro_time(requested), micro_time(created)));
        audit.push(scheduled, format!(r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"{}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/pods/{name}/binding","verb":"create","user":{{"username":"system:kube-scheduler","groups":["system:authenticated"]}},"sourceIPs":["172.18.0.3"],"userAgent":"kube-scheduler/v1.31.0 (linux/amd64) kubernetes/9edcffc/scheduler","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{name}","uid":"{uid}","apiVersion":"v1","subresource":"binding"}},"responseStatus":{{"metadata":{{}},"code":201}},"requestObject":{{"kind":"Binding","apiVersion":"v1","metadata":{{"name":"{name}","namespace":"{ns}","uid":"{uid}","creationTimestamp":null}},"target":{{"kind":"Node","name":"{}"}}}},"requestReceivedTimestamp":"{}","stageTimestamp":"{}"}}"#, rng.uuid(), nodes[n].name, micro_time(bind_rx), micro_time(scheduled)));
        audit.push(reported, format!(r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"{}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/pods/{name}/status","verb":"patch","user":{{"username":"system:node:{}","groups":["system:nodes","system:authenticated"]}},"sourceIPs":["172.18.0.2"],"userAgent":"kubelet/v1.31.0 (linux/amd64) kubernetes/9edcffc","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{name}","apiVersion":"v1","subresource":"status"}},"responseStatus":{{"metadata":{{}},"code":200}},"requestObject":{{"metadata":{{"uid":"{uid}"}},"status":{{"conditions":[{{"lastTransitionTime":"{}","message":null,"reason":null,"status":"True","type":"Ready"}}],"phase":"Running","podIP":"{ip}","podIPs":[{{"ip":"{ip}"}}]}}}},"requestReceivedTimestamp":"{}","stageTimestamp":"{}"}}"#, rng.uuid(), nodes[n].name, seconds_time(ready), micro_time(patch_rx), micro_time(reported)));
        audit.push(endpoints, format!(r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"{}","stage":"ResponseComplete","requestURI":"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/{svc}-abcde","verb":"update","user":{{"username":"system:serviceaccount:kube-system:endpointslice-controller","groups":["system:serviceaccounts","system:authenticated"]}},"sourceIPs":["172.18.0.3"],"userAgent":"kube-controller-manager/v1.31.0 (linux/amd64) kubernetes/9edcffc/system:serviceaccount:kube-system:endpointslice-controller","objectRef":{{"resource":"endpointslices","namespace":"{ns}","name":"{svc}-abcde","apiGroup":"discovery.k8s.io","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":200}},"responseObject":{{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{{"name":"{svc}-abcde","namespace":"{ns}","labels":{{"kubernetes.io/service-name":"{svc}"}},"annotations":{{"endpoints.kubernetes.io/last-change-trigger-time":"{}"}}}},"addressType":"IPv4","endpoints":[{{"addresses":["{ip}"],"conditions":{{"ready":true,"serving":true,"terminating":false}},"targetRef":{{"kind":"Pod","namespace":"{ns}","name":"{name}","uid":"{uid}"}},"nodeName":"{}"}}],"ports":[{{"name":"","protocol":"TCP","port":80}}]}},"requestReceivedTimestamp":"{}","stageTimestamp":"{}"}}"#, rng.uuid(), rfc3339_trimmed(ready / 1_000_000 * 1_000_000, 0), nodes[n].name, micro_time(slice_rx), micro_time(endpoints)));
        for k in 0..o.noise {
            let t = created + k as i64 * 7;
            audit.push(t, format!(r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{}","stage":"ResponseComplete","requestURI":"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/kind-worker?timeout=10s","verb":"update","user":{{"username":"system:node:kind-worker","groups":["system:nodes","system:authenticated"]}},"sourceIPs":["172.18.0.2"],"userAgent":"kubelet/v1.31.0 (linux/amd64) kubernetes/9edcffc","objectRef":{{"resource":"leases","namespace":"kube-node-lease","name":"kind-worker","apiGroup":"coordination.k8s.io","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"{}","stageTimestamp":"{}"}}"#, rng.uuid(), micro_time(t), micro_time(t + 2_000)));
        }

        // --- scheduler (control plane, CRI file, klog) ---
        let sline = |t: i64, body: String| {
            format!(
                "{} stderr F I{}       1 {body}",
                rfc3339_trimmed(t + 150, tz),
                klog_time(t, tz)
            )
        };
        sched.push(
            attempted,
            sline(
                attempted,
                format!("schedule_one.go:83] \"Attempting to schedule pod\" pod=\"{ns}/{name}\""),
            ),
        );
        sched.push(bound_log, sline(bound_log, format!("schedule_one.go:314] \"Successfully bound pod to node\" pod=\"{ns}/{name}\" node=\"{}\" evaluatedNodes={} feasibleNodes={}", nodes[n].name, nodes.len() + 1, nodes.len())));
        if unschedulable {
            let why = format!(
                "0/{} nodes are available: {} Insufficient cpu. preemption: 0/{} nodes are available: {} No preemption victims found for incoming pod.",
                nodes.len() + 1,
                nodes.len() + 1,
                nodes.len() + 1,
                nodes.len() + 1
            );
            let t_fail = attempted + 300;
            sched.push(t_fail, sline(t_fail, format!("schedule_one.go:1040] \"Unable to schedule pod; no fit; waiting\" pod=\"{ns}/{name}\" err=\"{why}\"")));
            audit.push(attempted + 1_200, format!(r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"{}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/pods/{name}/status","verb":"patch","user":{{"username":"system:kube-scheduler","groups":["system:authenticated"]}},"sourceIPs":["172.18.0.3"],"userAgent":"kube-scheduler/v1.31.0 (linux/amd64) kubernetes/9edcffc/scheduler","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{name}","apiVersion":"v1","subresource":"status"}},"responseStatus":{{"metadata":{{}},"code":200}},"requestObject":{{"status":{{"conditions":[{{"lastProbeTime":null,"lastTransitionTime":"{}","message":"{why}","reason":"Unschedulable","status":"False","type":"PodScheduled"}}]}}}},"requestReceivedTimestamp":"{}","stageTimestamp":"{}"}}"#, rng.uuid(), seconds_time(attempted), micro_time(attempted + 600), micro_time(attempted + 1_200)));
            sched.push(
                attempted_ok,
                sline(
                    attempted_ok,
                    format!(
                        "schedule_one.go:83] \"Attempting to schedule pod\" pod=\"{ns}/{name}\""
                    ),
                ),
            );
            failures.push(("unschedulable".into(), t_fail, "scheduled".into()));
        }

        // --- the node: its clock is skewed ---
        let nd = &mut nodes[n];
        let sk = nd.skew_us;
        let node = nd.name.clone();
        let kl = |t: i64, body: &str| {
            format!(
                "{} {node} kubelet[{kpid}]: I{} {kpid:>7} {body}",
                journal_prefix(t + sk, tz),
                klog_time(t + sk, tz)
            )
        };
        nd.kubelet.push(
            seen + sk,
            kl(
                seen,
                &format!("kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"{ns}/{name}\"]"),
            ),
        );
        nd.kubelet.push(seen + 50 + sk, kl(seen + 50, &format!("topology_manager.go:215] \"Topology Admit Handler\" podUID=\"{uid}\" podNamespace=\"{ns}\" podName=\"{name}\"")));
        if bad_pull {
            let ev = |t: i64, reason: &str, msg: &str| {
                kl(
                    t,
                    &format!(
                        "event.go:389] \"Event occurred\" object=\"{ns}/{name}\" fieldPath=\"spec.containers{{app}}\" kind=\"Pod\" apiVersion=\"v1\" type=\"Warning\" reason=\"{reason}\" message=\"{msg}\""
                    ),
                )
            };
            let failed = format!(
                "Failed to pull image \\\"{image}\\\": rpc error: code = Unknown desc = failed to pull and unpack image: failed to resolve reference: unexpected status 503 Service Unavailable"
            );
            nd.kubelet.push(
                pull_failed_at + 300 + sk,
                ev(pull_failed_at + 300, "Failed", &failed),
            );
            nd.kubelet.push(
                pull_failed_at + 900 + sk,
                ev(
                    pull_failed_at + 900,
                    "BackOff",
                    &format!("Back-off pulling image \\\"{image}\\\""),
                ),
            );
            failures.push(("Failed".into(), pull_failed_at + 300, "running".into()));
            failures.push(("BackOff".into(), pull_failed_at + 900, "running".into()));
        }
        nd.kubelet.push(volumes + sk, kl(volumes, &format!("operation_generator.go:637] \"MountVolume.SetUp succeeded for volume \\\"kube-api-access-x1\\\" (UniqueName: \\\"kubernetes.io/projected/{uid}-kube-api-access-x1\\\") pod \\\"{name}\\\" (UID: \\\"{uid}\\\") \" pod=\"{ns}/{name}\"")));
        nd.kubelet.push(pleg + sk, kl(pleg, &format!("kubelet.go:2439] \"SyncLoop (PLEG): event for pod\" pod=\"{ns}/{name}\" event={{\"ID\":\"{uid}\",\"Type\":\"ContainerStarted\",\"Data\":\"{cid}\"}}")));
        nd.kubelet.push(ready + sk, kl(ready, &format!("kubelet.go:2542] \"SyncLoop (probe)\" probe=\"readiness\" status=\"ready\" pod=\"{ns}/{name}\"")));
        let (fp, lp) = if was_cached {
            (
                "0001-01-01 00:00:00 +0000 UTC".to_owned(),
                "0001-01-01 00:00:00 +0000 UTC".to_owned(),
            )
        } else {
            (
                go_time(pull_start + sk, mono_base),
                go_time(pull_end + sk, mono_base),
            )
        };
        // The kubelet measures with its own (skewed) clock against the apiserver's creation time.
        let e2e = watch + sk - created / 1_000_000 * 1_000_000;
        let slo = e2e - (pull_end - pull_start);
        nd.kubelet.push(watch + 40 + sk, kl(watch + 40, &format!("pod_startup_latency_tracker.go:104] \"Observed pod startup duration\" pod=\"{ns}/{name}\" podStartSLOduration={} podStartE2EDuration=\"{}\" podCreationTimestamp=\"{}\" firstStartedPulling=\"{fp}\" lastFinishedPulling=\"{lp}\" observedRunningTime=\"{}\" watchObservedRunningTime=\"{}\"", slo as f64 / 1e6, go_duration(e2e), go_time(created / 1_000_000 * 1_000_000, mono_base).split(" m=").next().unwrap_or(""), go_time(pleg + sk, mono_base), go_time(watch + sk, mono_base))));
        for k in 0..o.noise {
            let t = seen + 10 + k as i64 * 3;
            nd.kubelet.push(t + sk, kl(t, &format!("reconciler_common.go:245] \"operationExecutor.VerifyControllerAttachedVolume started for volume \\\"kube-api-access-x{k}\\\" (UniqueName: \\\"kubernetes.io/projected/{uid}-kube-api-access-x{k}\\\") pod \\\"{name}\\\" (UID: \\\"{uid}\\\") \" pod=\"{ns}/{name}\"")));
        }

        let ctr = |t: i64, msg: &str| {
            format!(
                "{} {node} containerd[{cpid}]: time=\"{}\" level=info msg=\"{msg}\"",
                journal_prefix(t + sk, tz),
                rfc3339_fixed(t + sk, tz)
            )
        };
        let (sbmeta, cmeta) = if o.containerd2 {
            (
                format!("name:\\\"{name}\\\"  uid:\\\"{uid}\\\"  namespace:\\\"{ns}\\\""),
                "name:\\\"app\\\"".to_owned(),
            )
        } else {
            (
                format!("&PodSandboxMetadata{{Name:{name},Uid:{uid},Namespace:{ns},Attempt:0,}}"),
                "&ContainerMetadata{Name:app,Attempt:0,}".to_owned(),
            )
        };
        nd.runtime.push(
            sb_start + sk,
            ctr(sb_start, &format!("RunPodSandbox for {sbmeta}")),
        );
        let wep = format!(
            "{}-k8s-{}-eth0",
            node.replace('-', "--"),
            name.replace('-', "--")
        );
        let cal = |t: i64, what: &str| {
            let (y, mo, d, h, mi, s, f) = civil(t + sk, tz);
            format!(
                "{} {node} containerd[{cpid}]: {y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03} [INFO][{}] {what}",
                journal_prefix(t + sk, tz),
                f / 1000,
                2800 + p % 100
            )
        };
        // Calico stamps milliseconds: truth for the network milestones is whole ms.
        let net_start_ms = net_start / 1000 * 1000;
        let net_ready_ms = net_ready / 1000 * 1000;
        m.insert("network_started".into(), net_start_ms);
        m.insert("network_ready".into(), net_ready_ms);
        nd.runtime.push(net_start_ms + sk, cal(net_start_ms, &format!("plugin.go 325: Calico CNI found existing endpoint ContainerID=\"{sandbox}\" Namespace=\"{ns}\" Pod=\"{name}\" WorkloadEndpoint=\"{wep}\"")));
        nd.runtime.push(net_start_ms + 30_000 + sk, cal(net_start_ms + 30_000, &format!("ipam_plugin.go 284: Calico CNI IPAM assigned addresses IPv4=[{ip}/26] IPv6=[] ContainerID=\"{sandbox}\" HandleID=\"k8s-pod-network.{sandbox}\" Workload=\"{wep}\"")));
        nd.runtime.push(net_ready_ms + sk, cal(net_ready_ms, &format!("k8s.go 484: Wrote updated endpoint to datastore ContainerID=\"{sandbox}\" Namespace=\"{ns}\" Pod=\"{name}\" WorkloadEndpoint=\"{wep}\"")));
        nd.runtime.push(
            sb_ready + sk,
            ctr(
                sb_ready,
                &format!("RunPodSandbox for {sbmeta} returns sandbox id \\\"{sandbox}\\\""),
            ),
        );
        if bad_pull {
            nd.runtime.push(
                first_pull + sk,
                ctr(first_pull, &format!("PullImage \\\"{image}\\\"")),
            );
            nd.runtime.push(
                pull_failed_at + sk,
                format!("{} error=\"failed to pull and unpack image: unexpected status 503 Service Unavailable\"", ctr(pull_failed_at, &format!("PullImage \\\"{image}\\\" failed")).replace("level=info", "level=error")),
            );
        }
        if !was_cached {
            nd.runtime.push(
                pull_start + sk,
                ctr(pull_start, &format!("PullImage \\\"{image}\\\"")),
            );
            nd.runtime.push(pull_end - 2_000 + sk, ctr(pull_end - 2_000, &format!("Pulled image \\\"{image}\\\" with image id \\\"sha256:{}\\\", repo tag \\\"{image}\\\", repo digest \\\"{image}@sha256:{}\\\", size \\\"{}\\\" in {}", rng.hex(64), rng.hex(64), rng.range(1_000_000, 80_000_000), go_duration(pull_end - pull_start - 2_000))));
            nd.runtime.push(
                pull_end + sk,
                ctr(
                    pull_end,
                    &format!(
                        "PullImage \\\"{image}\\\" returns image reference \\\"sha256:{}\\\"",
                        rng.hex(64)
                    ),
                ),
            );
        }
        if has_init {
            let init_cid = rng.hex(64);
            let imeta = if o.containerd2 {
                "name:\\\"init\\\"".to_owned()
            } else {
                "&ContainerMetadata{Name:init,Attempt:0,}".to_owned()
            };
            nd.runtime.push(
                init_create + sk,
                ctr(
                    init_create,
                    &format!(
                        "CreateContainer within sandbox \\\"{sandbox}\\\" for container {imeta}"
                    ),
                ),
            );
            nd.runtime.push(init_created + sk, ctr(init_created, &format!("CreateContainer within sandbox \\\"{sandbox}\\\" for {imeta} returns container id \\\"{init_cid}\\\"")));
            nd.runtime.push(
                init_created + 400 + sk,
                ctr(
                    init_created + 400,
                    &format!("StartContainer for \\\"{init_cid}\\\""),
                ),
            );
            nd.runtime.push(
                init_started + sk,
                ctr(
                    init_started,
                    &format!("StartContainer for \\\"{init_cid}\\\" returns successfully"),
                ),
            );
            // It exits when done: the kubelet's PLEG reports it.
            nd.kubelet.push(init_done + 200_000 + sk, kl(init_done + 200_000, &format!("kubelet.go:2439] \"SyncLoop (PLEG): event for pod\" pod=\"{ns}/{name}\" event={{\"ID\":\"{uid}\",\"Type\":\"ContainerDied\",\"Data\":\"{init_cid}\"}}")));
            // The kubelet's own Events say which container is an init container.
            for (t, reason, msg) in [
                (init_created + 900, "Created", "Created container: init"),
                (init_started + 900, "Started", "Started container init"),
            ] {
                nd.kubelet.push(t + sk, kl(t, &format!("event.go:389] \"Event occurred\" object=\"{ns}/{name}\" fieldPath=\"spec.initContainers{{init}}\" kind=\"Pod\" apiVersion=\"v1\" type=\"Normal\" reason=\"{reason}\" message=\"{msg}\"")));
            }
        }
        if restarts > 0 {
            let meta1 = if o.containerd2 {
                "name:\\\"app\\\"  attempt:1".to_owned()
            } else {
                "&ContainerMetadata{Name:app,Attempt:1,}".to_owned()
            };
            let cid1 = rng.hex(64);
            nd.kubelet.push(crash + 300_000 + sk, kl(crash + 300_000, &format!("kubelet.go:2439] \"SyncLoop (PLEG): event for pod\" pod=\"{ns}/{name}\" event={{\"ID\":\"{uid}\",\"Type\":\"ContainerDied\",\"Data\":\"{cid}\"}}")));
            nd.runtime.push(
                re_create + sk,
                ctr(
                    re_create,
                    &format!(
                        "CreateContainer within sandbox \\\"{sandbox}\\\" for container {meta1}"
                    ),
                ),
            );
            nd.runtime.push(re_created + sk, ctr(re_created, &format!("CreateContainer within sandbox \\\"{sandbox}\\\" for {meta1} returns container id \\\"{cid1}\\\"")));
            nd.runtime.push(
                re_created + 500 + sk,
                ctr(
                    re_created + 500,
                    &format!("StartContainer for \\\"{cid1}\\\""),
                ),
            );
            nd.runtime.push(
                re_started + sk,
                ctr(
                    re_started,
                    &format!("StartContainer for \\\"{cid1}\\\" returns successfully"),
                ),
            );
        }
        nd.runtime.push(
            create_start + sk,
            ctr(
                create_start,
                &format!("CreateContainer within sandbox \\\"{sandbox}\\\" for container {cmeta}"),
            ),
        );
        nd.runtime.push(created_c + sk, ctr(created_c, &format!("CreateContainer within sandbox \\\"{sandbox}\\\" for {cmeta} returns container id \\\"{cid}\\\"")));
        nd.runtime.push(
            created_c + 500 + sk,
            ctr(
                created_c + 500,
                &format!("StartContainer for \\\"{cid}\\\""),
            ),
        );
        nd.runtime.push(
            started + sk,
            ctr(
                started,
                &format!("StartContainer for \\\"{cid}\\\" returns successfully"),
            ),
        );
        for k in 0..o.noise {
            let t = sb_ready + 10 + k as i64 * 3;
            nd.runtime.push(t + sk, ctr(t, &format!("ImageUpdate event name:\\\"{image}\\\"  labels:{{key:\\\"io.cri-containerd.image\\\"  value:\\\"managed\\\"}}")));
        }

        // --- kube-proxy: each worker sees the slice change after its informer delay; the
        // syncs themselves are laid out once all changes are known (see `proxy_syncs`).
        for (i, _) in nodes.iter().enumerate() {
            let seen_at = endpoints + rng.range(1_000, 20_000);
            sync_requests[i].push((seen_at, truth.pods.len()));
        }
        truth.pods.push(TruthPod {
            namespace: ns.into(),
            name,
            uid,
            node,
            ip,
            service: format!("{ns}/{svc}"),
            image: image.into(),
            image_cached: was_cached,
            sandbox_id: sandbox,
            container_id: cid,
            milestones: m,
            programmed: Default::default(),
            failures,
            init_container: has_init.then_some((init_created, init_started, init_done + 200_000)),
            restarts,
        });
    }
    // kube-proxy runs one sync at a time: a change that arrives while it is idle starts a sync;
    // one that arrives during a sync waits for the next, which starts when the running one ends
    // and carries every change queued meanwhile.
    for (i, pn) in nodes.iter_mut().enumerate() {
        sync_requests[i].sort();
        let mut syncs: Vec<(i64, i64)> = Vec::new();
        for &(r, pod) in &sync_requests[i] {
            let done = match syncs.last() {
                Some(&(s, d)) if s > r => d, // the next sync is already queued
                Some(&(_, d)) if r < d => {
                    let dur = rng.range(4_000, 40_000);
                    syncs.push((d, d + dur));
                    d + dur
                }
                _ => {
                    let start = r + rng.range(100, 2_000);
                    let dur = rng.range(4_000, 40_000);
                    syncs.push((start, start + dur));
                    start + dur
                }
            };
            let tp = &mut truth.pods[pod];
            tp.programmed.insert(pn.name.clone(), done);
        }
        let psk = pn.skew_us;
        for (start, done) in syncs {
            let pl = |t: i64, body: &str| {
                format!(
                    "{} stderr F I{}       1 {body}",
                    rfc3339_trimmed(t + psk + 150, tz),
                    klog_time(t + psk, tz)
                )
            };
            pn.proxy.push(
                start + psk,
                pl(
                    start,
                    "proxier.go:805] \"Syncing iptables rules\" ipFamily=\"IPv4\"",
                ),
            );
            pn.proxy.push(done + psk, pl(done, &format!("proxier.go:799] \"SyncProxyRules complete\" ipFamily=\"IPv4\" elapsed=\"{}ms\"", (done - start) as f64 / 1000.0)));
        }
    }
    for tp in &mut truth.pods {
        if let (Some(f), Some(l)) = (
            tp.programmed.values().min().copied(),
            tp.programmed.values().max().copied(),
        ) {
            tp.milestones.insert("programmed_first".into(), f);
            tp.milestones.insert("programmed_last".into(), l);
        }
    }
    let mut bytes = audit.finish(&mut timed)? + sched.finish(&mut timed)?;
    for nd in nodes {
        bytes += nd.kubelet.finish(&mut timed)?
            + nd.runtime.finish(&mut timed)?
            + nd.proxy.finish(&mut timed)?;
    }
    let gt = dir.join("ground-truth.json");
    serde_json::to_writer_pretty(BufWriter::new(File::create(&gt)?), &truth)?;
    Ok((truth, bytes, timed))
}

/// Files written by [`generate_timed`], each with its lines' times (UTC µs).
pub type Timed = Vec<(PathBuf, Vec<i64>)>;

/// How [`replay`] writes.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Log seconds per wall second (60: an hour of logs in a minute).
    pub speed: f64,
    /// Rotate a file (rename it `<name>.1`, `.2`, … and start it anew) once it holds this many
    /// bytes, as logrotate's `create` mode does.
    pub rotate_bytes: Option<u64>,
}

/// What [`replay`] did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Replayed {
    pub lines: u64,
    pub bytes: u64,
    pub rotations: u64,
    /// Log time covered (µs) and wall time taken.
    pub log_span_us: i64,
    pub wall: std::time::Duration,
}

/// Writes the lines of the files in `timed` (under `from`) into the same paths under `to`, each
/// line when its time comes: log time runs `speed` times faster than the wall clock. Every file
/// is created (empty) at the start, as a node's logs exist before its first pod; every file is
/// flushed before each wait, so a reader sees whole lines in time order across files.
pub fn replay(from: &Path, to: &Path, timed: &Timed, o: &ReplayOptions) -> io::Result<Replayed> {
    use std::io::BufRead;
    struct Dest {
        path: PathBuf,
        w: Option<BufWriter<File>>,
        bytes: u64,
        rotated: u32,
        lines: std::io::Lines<io::BufReader<File>>,
        times: std::vec::IntoIter<i64>,
    }
    let mut dests = Vec::new();
    let mut heap = BinaryHeap::new();
    for (i, (path, times)) in timed.iter().enumerate() {
        let rel = path.strip_prefix(from).unwrap_or(path);
        let mut times = times.clone().into_iter();
        if let Some(t) = times.next() {
            heap.push(std::cmp::Reverse((t, i)));
        }
        let dest = to.join(rel);
        fs::create_dir_all(dest.parent().expect("has a parent"))?;
        dests.push(Dest {
            w: Some(BufWriter::new(File::create(&dest)?)),
            path: dest,
            bytes: 0,
            rotated: 0,
            lines: io::BufReader::new(File::open(path)?).lines(),
            times,
        });
    }
    let speed = if o.speed > 0.0 { o.speed } else { 1.0 };
    let started = std::time::Instant::now();
    let first = heap.peek().map(|r| r.0.0);
    let mut stats = Replayed::default();
    let mut last_t = first.unwrap_or(0);
    while let Some(std::cmp::Reverse((t, i))) = heap.pop() {
        let due = std::time::Duration::from_secs_f64(
            (t - first.unwrap_or(t)).max(0) as f64 / 1e6 / speed,
        );
        let now = started.elapsed();
        if due > now + std::time::Duration::from_millis(1) {
            for d in &mut dests {
                if let Some(w) = &mut d.w {
                    w.flush()?;
                }
            }
            std::thread::sleep(due - now);
        }
        let d = &mut dests[i];
        let Some(line) = d.lines.next().transpose()? else {
            continue;
        };
        if d.w.is_none() {
            fs::create_dir_all(d.path.parent().expect("has a parent"))?;
            d.w = Some(BufWriter::new(File::create(&d.path)?));
        }
        let w = d.w.as_mut().expect("created");
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")?;
        d.bytes += line.len() as u64 + 1;
        stats.lines += 1;
        stats.bytes += line.len() as u64 + 1;
        last_t = last_t.max(t);
        if o.rotate_bytes.is_some_and(|max| d.bytes >= max) {
            w.flush()?;
            d.rotated += 1;
            let mut name = d.path.file_name().unwrap_or_default().to_os_string();
            name.push(format!(".{}", d.rotated));
            fs::rename(&d.path, d.path.with_file_name(name))?;
            d.w = Some(BufWriter::new(File::create(&d.path)?));
            d.bytes = 0;
            stats.rotations += 1;
        }
        if let Some(next) = d.times.next() {
            heap.push(std::cmp::Reverse((next, i)));
        }
    }
    for d in &mut dests {
        if let Some(w) = &mut d.w {
            w.flush()?;
        }
    }
    stats.log_span_us = last_t - first.unwrap_or(last_t);
    stats.wall = started.elapsed();
    Ok(stats)
}

/// The path of the truth file in a generated bundle.
pub fn truth_path(dir: &Path) -> PathBuf {
    dir.join("ground-truth.json")
}
