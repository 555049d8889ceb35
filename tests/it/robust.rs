//! Bad input is normal input: every real sample, damaged in many ways, is read without a panic
//! and every line stays accounted for.

use crate::util::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn damage(text: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split(|&b| b == b'\n') {
        let mut l = line.to_vec();
        match rng.below(8) {
            0 => l.truncate(rng.below(l.len() + 1)), // truncated line
            1 if !l.is_empty() => {
                let k = rng.below(l.len());
                l[k] = rng.next() as u8; // flipped byte
            }
            2 => l.splice(0..0, b"\xff\xfe".iter().copied()).for_each(drop), // invalid UTF-8
            3 => out.extend_from_slice(&l[..rng.below(l.len() + 1)]),        // two lines glued
            _ => {}
        }
        out.extend_from_slice(&l);
        out.push(b'\n');
    }
    out
}

#[test]
fn damaged_real_samples_never_panic() {
    let files: Vec<_> = walk(&real(""));
    assert!(files.len() >= 30);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        for (i, f) in files.iter().enumerate() {
            let text = std::fs::read(f).unwrap();
            let name = f.file_name().unwrap().to_string_lossy();
            std::fs::write(
                dir.path().join(format!("{i}-{name}")),
                damage(&text, &mut rng),
            )
            .unwrap();
        }
        let a = analyze(&path(&dir));
        for f in &a.files {
            for (c, n) in &f.counts {
                assert_eq!(
                    n.lines,
                    n.recognised + n.ignored + n.unparsed,
                    "round {round}: {} {c:?}",
                    f.path
                );
            }
        }
    }
}

fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(p).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p);
        }
    }
    v.sort();
    v
}
