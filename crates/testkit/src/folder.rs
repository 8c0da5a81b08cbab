//! Editing and reading vdir folders the way other programs (khal, editors) do.

use davsync_pim::Item;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Writes `body` to `dir/name` through a temporary file and a rename, as khal does.
pub fn write_file(dir: &Path, name: &str, body: &str) {
    let tmp = dir.join(format!(".{name}.testkit-tmp"));
    fs::write(&tmp, body).expect("write temp file");
    fs::rename(&tmp, dir.join(name)).expect("rename temp file");
}

/// Every item file (`*.ext`, not hidden) in `dir`: file name → body.
pub fn files(dir: &Path, ext: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let entry = entry.expect("dir entry");
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || !name.ends_with(&format!(".{ext}")) {
            continue;
        }
        out.insert(name, fs::read_to_string(entry.path()).expect("read item"));
    }
    out
}

/// Every item in `dir` by UID, with all the files that hold it (more than one
/// file per UID is a duplicate). Panics on a file that does not parse.
pub fn items_by_uid(dir: &Path, ext: &str) -> BTreeMap<String, Vec<(String, Item)>> {
    let mut out: BTreeMap<String, Vec<(String, Item)>> = BTreeMap::new();
    for (name, body) in files(dir, ext) {
        let item = Item::parse(body).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        out.entry(item.uid().to_string())
            .or_default()
            .push((name, item));
    }
    out
}

/// UID → content hash of the single file holding it; panics on duplicate UIDs.
pub fn content_by_uid(dir: &Path, ext: &str) -> BTreeMap<String, String> {
    items_by_uid(dir, ext)
        .into_iter()
        .map(|(uid, files)| {
            assert_eq!(
                files.len(),
                1,
                "UID {uid} is held by several files: {:?}",
                files.iter().map(|f| &f.0).collect::<Vec<_>>()
            );
            (uid, files[0].1.content_hash().to_string())
        })
        .collect()
}

/// Every file below `dir` (recursively), as paths relative to `dir`; panics
/// when `dir` cannot be read.
pub fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        let entries =
            fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.insert(path.strip_prefix(base).expect("below base").to_path_buf());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}
