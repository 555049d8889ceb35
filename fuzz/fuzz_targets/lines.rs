//! Every line parser and the envelope framing on arbitrary bytes: no panic, and what parses
//! stays inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podtrace_parsers::{audit, calico, cri_meta, frame, journald, jsonlog, klog, kv, logrus, quote, time};

fuzz_target!(|data: &[u8]| {
    // journald export records are bytes (binary values hold any byte, newlines included).
    let mut rec = journald::ExportRecord::default();
    for l in data.split(|b| *b == b'\n') {
        if rec.line(l) == journald::ExportStep::End {
            let _ = rec.take();
        }
    }
    let _ = journald::looks_like_export(data.split(|b| *b == b'\n'));
    let _ = journald::looks_like_json(data);
    let Ok(s) = std::str::from_utf8(data) else {
        let _ = audit::looks_like(data);
        let _ = time::parse_rfc3339(data);
        let _ = time::parse_syslog_time(data);
        let _ = time::parse_klog_time(data);
        return;
    };
    for env in [frame::Envelope::Raw, frame::Envelope::Journal, frame::Envelope::Cri, frame::Envelope::Stamped] {
        if let Some(f) = frame::split(env, s) {
            // The body is a slice of the line.
            assert!(s.as_bytes().as_ptr_range().contains(&f.body.as_ptr()) || f.body.is_empty());
            let _ = klog::parse(f.body);
        }
    }
    let _ = frame::sniff(s.lines());
    if let Ok(r) = klog::parse(s) {
        if let klog::Body::Structured { tail, msg } = r.body {
            let _ = kv::Pairs::new(tail).count();
            let _ = quote::unescape(msg);
        }
    }
    let _ = kv::Pairs::new(s).map(|(_, v)| v.text().len()).sum::<usize>();
    if let Some(r) = logrus::parse(s) {
        let _ = r.msg.text();
        let _ = kv::Pairs::new(r.tail).count();
    }
    let _ = calico::parse(s).map(|r| calico::kv_start(r.rest));
    let _ = cri_meta::parse(s);
    let _ = jsonlog::parse(s);
    if let Ok(e) = journald::parse_json(s) {
        let _ = e.ident();
    }
    if let Ok(e) = audit::parse(s) {
        if let Some(r) = e.response_object {
            let _ = audit::parse_pod(r);
        }
    }
    let _ = time::parse_go_time(s);
    let _ = time::parse_go_duration(s);
});
