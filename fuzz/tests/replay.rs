//! Every target's seeds, and every input a fuzzer ever crashed on (`fuzz/regressions/<target>/`,
//! one file per input, in the target's byte form), pass the target's checks.

use std::path::Path;

#[test]
fn seeds_and_past_findings_pass_every_check() {
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut replayed = 0;
    for (target, entry) in cartoauth_fuzz::bytes::TARGETS {
        let mut inputs = cartoauth_fuzz::bytes::seeds(target);
        assert!(!inputs.is_empty(), "{target} has no seeds");
        if let Ok(found) = std::fs::read_dir(regressions.join(target)) {
            for file in found {
                inputs.push(std::fs::read(file.unwrap().path()).unwrap());
            }
        }
        for input in inputs {
            entry(&input);
            replayed += 1;
        }
    }
    assert!(replayed >= 7);
}
