//! Replays the corpus the fuzzer kept (`fuzz/corpus/<target>/`, committed) through the same
//! target functions, so that every input that once found a new path is run by the ordinary
//! tests, and a crash the fuzzer found (kept in `fuzz/regressions/<target>/`) stays fixed.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir` (none when it does not exist).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_a_fuzz_target_file_and_a_corpus() {
    for (name, _) in daicho_fuzz::TARGETS {
        let target = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(target.is_file(), "{} is missing", target.display());
        let corpus = inputs(&fuzz_dir().join("corpus").join(name));
        assert!(
            corpus.len() >= 20,
            "fuzz/corpus/{name} holds {} inputs; run scripts/fuzz.sh and commit the corpus",
            corpus.len()
        );
    }
    let listed: Vec<String> = inputs(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for file in &listed {
        assert!(
            daicho_fuzz::TARGETS.iter().any(|(n, _)| n == file),
            "fuzz/fuzz_targets/{file}.rs is not in daicho_fuzz::TARGETS"
        );
    }
}

#[test]
fn the_corpus_and_the_regressions_replay_without_a_panic() {
    let mut replayed = 0usize;
    for (name, target) in daicho_fuzz::TARGETS {
        for dir in ["corpus", "regressions"] {
            for path in inputs(&fuzz_dir().join(dir).join(name)) {
                let data = std::fs::read(&path).unwrap();
                // A panic names the input, so that it can be run again under the fuzzer.
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{name} panicked on {}", path.display());
                replayed += 1;
            }
        }
    }
    assert!(replayed > 0);
}
