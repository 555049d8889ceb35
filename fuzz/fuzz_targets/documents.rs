//! Kubernetes object documents (issue 17): any text, read as a YAML and as a JSON document,
//! never panics, stays linear (deep flow nesting refused before the YAML parser, each item's
//! line found by a forward cursor) and gives every item an evidence line inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count().max(1) as u32;
    for yaml in [true, false] {
        let mut out = Vec::new();
        let o = podtrace::sources::objects::extract(&text, yaml, 0, None, &mut out);
        assert_eq!(o.recognised as usize, out.len());
        for e in &out {
            // Evidence is a line of the text (or the item's index when it has no uid).
            assert!(e.evidence.line >= 1);
            assert!(e.evidence.line <= lines.max(o.recognised as u32 + o.ignored as u32));
        }
    }
});
