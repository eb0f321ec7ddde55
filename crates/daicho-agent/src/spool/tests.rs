//! Spool ordering, bounds, rejection and crash leftovers.

use uuid::Uuid;

use super::Spool;

fn ids(n: usize) -> Vec<Uuid> {
    (0..n).map(|_| Uuid::new_v4()).collect()
}

#[test]
fn reports_come_back_oldest_first_with_their_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), 10, 1 << 20).unwrap();
    let ids = ids(3);
    for (i, id) in ids.iter().enumerate() {
        assert!(
            spool
                .put(*id, format!("body{i}").as_bytes())
                .unwrap()
                .is_empty()
        );
    }
    let pending = spool.pending().unwrap();
    assert_eq!(pending.iter().map(|r| r.report_id).collect::<Vec<_>>(), ids);
    assert_eq!(spool.read(&pending[1]).unwrap(), b"body1");
    spool.remove(&pending[0]).unwrap();
    // Removing twice (a racing drop) is not an error.
    spool.remove(&pending[0]).unwrap();
    assert_eq!(spool.pending().unwrap().len(), 2);
}

#[test]
fn full_by_count_drops_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), 2, 1 << 20).unwrap();
    let ids = ids(3);
    spool.put(ids[0], b"a").unwrap();
    spool.put(ids[1], b"b").unwrap();
    assert_eq!(spool.put(ids[2], b"c").unwrap(), vec![ids[0]]);
    let left: Vec<_> = spool
        .pending()
        .unwrap()
        .iter()
        .map(|r| r.report_id)
        .collect();
    assert_eq!(left, vec![ids[1], ids[2]]);
}

#[test]
fn full_by_bytes_drops_as_many_as_needed() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), 100, 10).unwrap();
    let ids = ids(3);
    spool.put(ids[0], b"1234").unwrap();
    spool.put(ids[1], b"1234").unwrap();
    assert_eq!(
        spool.put(ids[2], b"12345678").unwrap(),
        vec![ids[0], ids[1]]
    );
    assert_eq!(spool.pending().unwrap().len(), 1);
}

#[test]
fn rejected_reports_move_aside_with_reason() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), 10, 1 << 20).unwrap();
    let id = Uuid::new_v4();
    spool.put(id, b"x").unwrap();
    let report = spool.pending().unwrap().remove(0);
    let moved = spool
        .reject(&report, "401 Unauthorized: bad token")
        .unwrap();
    assert!(moved.exists());
    assert!(spool.pending().unwrap().is_empty());
    let reason = std::fs::read_to_string(format!("{}.reason", moved.display())).unwrap();
    assert!(reason.contains("401"));
}

#[test]
fn crash_leftovers_are_cleaned_and_foreign_files_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let pending = dir.path().join("pending");
    std::fs::create_dir_all(&pending).unwrap();
    std::fs::write(pending.join(".tmp-123-x.json.gz"), b"half").unwrap();
    std::fs::write(pending.join("notes.txt"), b"operator file").unwrap();
    let spool = Spool::open(dir.path(), 10, 1 << 20).unwrap();
    assert!(!pending.join(".tmp-123-x.json.gz").exists());
    assert!(spool.pending().unwrap().is_empty());
    // Reopening finds what an earlier process spooled.
    let id = Uuid::new_v4();
    spool.put(id, b"x").unwrap();
    drop(spool);
    let again = Spool::open(dir.path(), 10, 1 << 20).unwrap();
    assert_eq!(again.pending().unwrap()[0].report_id, id);
}
