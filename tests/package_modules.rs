//! `tests/browser_shared.rs` runs the npm package's shared source as wasm-bindgen
//! snippets, and wasm-bindgen copies only the modules named in a `module`
//! attribute, not what they import. A module missing from that list fails the
//! whole browser binary at load ("Loading scripts...", then a timeout), so this
//! host test names the missing one at once.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

/// The `./x.js` modules that `file` imports statically.
fn imports(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(format!("js/{file}")).expect("a package module");
    text.lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("import ") || line.starts_with("export {"))
        .filter_map(|line| line.split(" from './").nth(1))
        .filter_map(|rest| rest.split('\'').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn browser_shared_names_every_module_its_package_modules_reach() {
    let mut reached = BTreeSet::new();
    let mut todo = vec!["shared-connection.js".to_owned()];
    while let Some(file) = todo.pop() {
        if reached.insert(file.clone()) {
            todo.extend(imports(&file));
        }
    }
    let test = std::fs::read_to_string("tests/browser_shared.rs").expect("browser_shared.rs");
    let missing: Vec<_> = reached
        .iter()
        .filter(|file| !test.contains(&format!("\"/js/{file}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "tests/browser_shared.rs must name these modules in package_module!: {missing:?}"
    );
}
