//! A check that the crates' modules do not import each other in a circle: each crate's top-level
//! modules (a file or a folder under `src/`) form a graph by their `crate::<module>` paths, and
//! the graph must have no cycle. Run by `cargo test -p xtask`, so a cycle in `domain` or the
//! front ends fails the suite.

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Top-level module → the top-level modules it names with `crate::`.
    fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut stack = vec![src.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let rel = path.strip_prefix(src).unwrap();
                let first = rel
                    .components()
                    .next()
                    .unwrap()
                    .as_os_str()
                    .to_string_lossy();
                let module = first.trim_end_matches(".rs").to_owned();
                if module == "lib" || module == "main" {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let names = out.entry(module.clone()).or_default();
                for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                    for (i, _) in line.match_indices("crate::") {
                        let rest = &line[i + "crate::".len()..];
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() && name != module {
                            names.insert(name);
                        }
                    }
                    // `use crate::{a, b::c}`
                    if let Some(rest) = line.trim_start().strip_prefix("use crate::{") {
                        for part in rest.split([',', '}']) {
                            let name: String = part
                                .trim()
                                .chars()
                                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                                .collect();
                            if !name.is_empty() && name != module {
                                names.insert(name);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// A cycle, as the modules along it, if there is one.
    fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
        fn visit(
            g: &BTreeMap<String, BTreeSet<String>>,
            node: &str,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|n| n == node) {
                let mut c = path[at..].to_vec();
                c.push(node.to_owned());
                return Some(c);
            }
            if done.contains(node) {
                return None;
            }
            path.push(node.to_owned());
            for next in g.get(node).into_iter().flatten() {
                if g.contains_key(next) {
                    if let Some(c) = visit(g, next, path, done) {
                        return Some(c);
                    }
                }
            }
            path.pop();
            done.insert(node.to_owned());
            None
        }
        let mut done = BTreeSet::new();
        g.keys()
            .find_map(|n| visit(g, n, &mut Vec::new(), &mut done))
    }

    #[test]
    fn no_crate_has_modules_that_import_each_other_in_a_circle() {
        let root = crate::project_root();
        // The server is not held to it yet (e.g. error ↔ serve).
        for krate in ["domain", "app", "app/phone", "app/desk"] {
            let g = graph(&root.join(krate).join("src"));
            assert!(g.len() > 1, "{krate}: modules found");
            if let Some(c) = cycle(&g) {
                panic!(
                    "{krate}: modules import each other in a circle: {}",
                    c.join(" → ")
                );
            }
        }
    }

    #[test]
    fn the_cycle_check_finds_a_circle_of_three() {
        let g: BTreeMap<String, BTreeSet<String>> = [
            ("api", &["validate"][..]),
            ("validate", &["form"]),
            ("form", &["api", "lang"]),
            ("lang", &[]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.iter().map(|s| s.to_string()).collect()))
        .collect();
        assert_eq!(
            cycle(&g).map(|c| c.join(" → ")),
            Some("api → validate → form → api".to_owned())
        );
        let mut fixed = g.clone();
        fixed.get_mut("form").unwrap().remove("api");
        assert_eq!(cycle(&fixed), None);
    }
}
