//! Property tests: no parser panics on arbitrary input, and quoting/`key=value` round-trip.

use podtrace_parsers::{audit, calico, cri_meta, frame, klog, kv, logrus, quote, time};
use proptest::prelude::*;

/// Go-style `%q` for the characters that matter in logs.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_parser_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = klog::parse(&s);
        let _ = kv::Pairs::new(&s).count();
        let _ = logrus::parse(&s);
        let _ = calico::parse(&s);
        let _ = cri_meta::parse(&s);
        let _ = frame::journal(&s);
        let _ = frame::cri(&s);
        let _ = frame::stamped(&s);
        let _ = audit::parse(&s);
        let _ = time::parse_rfc3339(s.as_bytes());
        let _ = time::parse_go_time(&s);
        let _ = time::parse_go_duration(&s);
        let _ = time::parse_klog_time(s.as_bytes());
        let _ = time::parse_syslog_time(s.as_bytes());
        let _ = quote::unescape(&s);
    }

    #[test]
    fn no_parser_panics_on_log_shaped_text(
        head in prop::sample::select(vec![
            "I1129 18:33:25.449865    2983 kubelet.go:2433] ",
            "Nov 29 18:33:25 host kubelet[1]: ",
            "2024-11-29T18:33:25.775569203Z stderr F ",
            "time=\"2024-11-29T18:33:25.775569203Z\" level=info msg=",
            "2022-04-29 07:43:59.996 [INFO][30696] ipam_plugin.go 284: ",
            "RunPodSandbox for &PodSandboxMetadata{",
            "name:\"",
        ]),
        tail in "[ -~]{0,120}",
    ) {
        let s = format!("{head}{tail}");
        let _ = klog::parse(&s);
        let _ = kv::Pairs::new(&s).count();
        let _ = logrus::parse(&s);
        let _ = calico::parse(&s);
        let _ = cri_meta::parse(&s);
        let _ = frame::sniff([s.as_str()]);
        for env in [frame::Envelope::Raw, frame::Envelope::Journal, frame::Envelope::Cri, frame::Envelope::Stamped] {
            let _ = frame::split(env, &s);
        }
    }

    #[test]
    fn quoted_values_round_trip(values in prop::collection::vec("\\PC{0,40}", 1..6)) {
        let tail: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("k{i}={}", go_quote(v))).collect();
        let tail = tail.join(" ");
        let mut pairs = kv::Pairs::new(&tail);
        let got: Vec<(String, String)> = pairs.by_ref().map(|(k, v)| (k.to_owned(), v.text().into_owned())).collect();
        prop_assert_eq!(pairs.error_at(), None);
        let want: Vec<(String, String)> = values.iter().enumerate().map(|(i, v)| (format!("k{i}"), v.clone())).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn klog_structured_round_trip(msg in "[ -~]{1,60}", pid in 1u32..10_000_000, us in 0u32..1_000_000) {
        let line = format!("I0317 10:12:21.{us:06} {pid:>7} schedule_one.go:304] {} pod=\"ns/p\"", go_quote(&msg));
        let r = klog::parse(&line).unwrap();
        prop_assert_eq!(r.header.pid, pid);
        prop_assert_eq!(r.header.time.nanos, us * 1000);
        match r.body {
            klog::Body::Structured { msg: m, tail } => {
                prop_assert_eq!(quote::unescape(m), msg);
                prop_assert_eq!(tail, "pod=\"ns/p\"");
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn rfc3339_round_trip(secs in 0i64..4_102_444_800, nanos in 0u32..1_000_000_000) {
        let ns = secs * 1_000_000_000 + nanos as i64;
        let s = time::format_rfc3339_nanos(ns);
        let (i, used) = time::parse_rfc3339(s.as_bytes()).unwrap();
        prop_assert_eq!(used, s.len());
        prop_assert_eq!(i.unix_nanos, ns);
    }
}
