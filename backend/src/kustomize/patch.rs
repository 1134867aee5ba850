//! Patches applied to positioned trees: strategic merge and JSON 6902.
//!
//! Both keep positions: a value a patch sets (or adds) is the patch's node, with the
//! patch's position, so a finding about it points at the patch; what the patch leaves
//! alone keeps the position it had in the base. Maps merged key by key keep the base's
//! key position, so a field missing from both points at the base's parent, where it would
//! be added.
//!
//! Strategic merge follows Kubernetes' merge keys for the lists of the built-in kinds
//! (`containers` by `name`, `volumeMounts` by `mountPath`, …) and replaces other lists
//! whole, as it does for kinds it has no schema for. The `$patch: delete` and `$patch:
//! replace` directives and `null` (remove the key) are honoured.

use rampart_core::tree::{edit_vec, Entry, Node, Value};

/// What a strategic merge asks of the node it was applied to.
#[derive(Debug, PartialEq, Eq)]
pub enum Merged {
    Keep,
    /// `$patch: delete`: the node (an object, a list item) is to be removed.
    Delete,
}

/// Applies a strategic-merge patch to `base`.
pub fn strategic_merge(base: &mut Node, patch: &Node) -> Merged {
    let Value::Map(patch_entries) = &patch.value else {
        *base = strip_directives(patch);
        return Merged::Keep;
    };
    match patch.field("$patch").as_str() {
        Some("delete") => return Merged::Delete,
        Some("replace") => {
            *base = strip_directives(patch);
            return Merged::Keep;
        }
        _ => {}
    }
    let Value::Map(base_entries) = &mut base.value else {
        *base = strip_directives(patch);
        return Merged::Keep;
    };
    edit_vec(base_entries, |base_entries| {
        for entry in patch_entries.iter().filter(|entry| !entry.key.starts_with('$')) {
            let existing = base_entries.iter().position(|base_entry| base_entry.key == entry.key);
            match (existing, &entry.value.value) {
                (Some(position), Value::Null) => {
                    base_entries.remove(position);
                }
                (None, Value::Null) => {}
                (Some(position), patch_value) => {
                    let base_entry = &mut base_entries[position];
                    match (&mut base_entry.value.value, patch_value) {
                        (Value::Map(_), Value::Map(_)) => {
                            if strategic_merge(&mut base_entry.value, &entry.value) == Merged::Delete {
                                base_entries.remove(position);
                            }
                        }
                        (Value::Seq(items), Value::Seq(patch_items)) => {
                            if let Some(key) = merge_key(&entry.key, items, patch_items) {
                                edit_vec(items, |items| merge_list(items, patch_items, key));
                            } else {
                                *base_entry = strip_entry(entry);
                            }
                        }
                        _ => *base_entry = strip_entry(entry),
                    }
                }
                (None, _) => base_entries.push(strip_entry(entry)),
            }
        }
    });
    Merged::Keep
}

/// The key the items of a list are merged by (Kubernetes' `patchMergeKey`), or `None`
/// when the list is replaced whole.
fn merge_key(field: &str, base: &[Node], patch: &[Node]) -> Option<&'static str> {
    let has = |key: &str| base.iter().chain(patch).any(|item| item.get(key).is_some());
    match field {
        "containers" | "initContainers" | "ephemeralContainers" | "volumes" | "env" | "imagePullSecrets" => {
            Some("name")
        }
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "ports" if has("containerPort") => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    }
}

/// Merges list items by `key`: an item of the patch with the key of a base item is merged
/// into it (or deletes it), others are appended. A `{$patch: replace}` item replaces the
/// list with the patch's other items.
fn merge_list(base: &mut Vec<Node>, patch: &[Node], key: &str) {
    if patch.iter().any(|item| item.field("$patch").as_str() == Some("replace")) {
        *base = patch.iter().filter(|item| item.get("$patch").is_none()).map(strip_directives).collect();
        return;
    }
    for item in patch {
        let wanted = item.field(key).to_json();
        let existing =
            (!wanted.is_null()).then(|| base.iter().position(|base_item| base_item.field(key).to_json() == wanted));
        match existing.flatten() {
            Some(position) => {
                if strategic_merge(&mut base[position], item) == Merged::Delete {
                    base.remove(position);
                }
            }
            None if item.field("$patch").as_str() == Some("delete") => {}
            None => base.push(strip_directives(item)),
        }
    }
}

fn strip_entry(entry: &Entry) -> Entry {
    Entry { key: entry.key.clone(), key_span: entry.key_span, value: strip_directives(&entry.value) }
}

/// A copy of a patch's node without its `$…` directive keys.
fn strip_directives(node: &Node) -> Node {
    let value = match &node.value {
        Value::Map(entries) => {
            Value::Map(entries.iter().filter(|entry| !entry.key.starts_with('$')).map(strip_entry).collect())
        }
        Value::Seq(items) => Value::Seq(items.iter().map(strip_directives).collect()),
        other => other.clone(),
    };
    Node { value, span: node.span, end: node.end }
}

/// One JSON 6902 operation that could not be applied.
#[derive(Debug, PartialEq, Eq)]
pub struct OpError(pub String);

/// Applies one JSON 6902 operation (`op`, `path`, `value`, `from`) to `root`.
pub fn json6902(root: &mut Node, operation: &Node) -> Result<(), OpError> {
    let op = operation.field("op").as_str().ok_or_else(|| OpError("an operation without `op`".into()))?;
    let path = operation.field("path").as_str().ok_or_else(|| OpError(format!("a `{op}` without `path`")))?;
    let tokens = pointer(path)?;
    let value = || operation.get("value").cloned().ok_or_else(|| OpError(format!("`{op} {path}` without `value`")));
    match op {
        "add" => add(root, &tokens, value()?, path),
        "replace" => {
            let value = value()?;
            let (parent, last) = parent_of(root, &tokens, path)?;
            match &mut parent.value {
                Value::Map(entries) => {
                    let entry = entries
                        .iter_mut()
                        .find(|entry| entry.key == last)
                        .ok_or_else(|| OpError(format!("`replace {path}`: no such field")))?;
                    entry.key_span = value.span;
                    entry.value = value;
                }
                Value::Seq(items) => {
                    let slot = index(last, items.len())
                        .and_then(|position| items.get_mut(position))
                        .ok_or_else(|| OpError(format!("`replace {path}`: no such item")))?;
                    *slot = value;
                }
                _ => return Err(OpError(format!("`replace {path}`: its parent is not a map or a list"))),
            }
            Ok(())
        }
        "remove" => remove(root, &tokens, path).map(drop),
        "move" | "copy" => {
            let from = operation.field("from").as_str().ok_or_else(|| OpError(format!("a `{op}` without `from`")))?;
            let from_tokens = pointer(from)?;
            let moved = if op == "move" {
                remove(root, &from_tokens, from)?
            } else {
                resolve(root, &from_tokens).cloned().ok_or_else(|| OpError(format!("`copy`: nothing at {from}")))?
            };
            add(root, &tokens, moved, path)
        }
        "test" => {
            let wanted = value()?.to_json();
            match resolve(root, &tokens) {
                Some(found) if found.to_json() == wanted => Ok(()),
                _ => Err(OpError(format!("`test {path}` failed: the value differs"))),
            }
        }
        other => Err(OpError(format!("unknown operation `{other}`"))),
    }
}

/// The reference tokens of a JSON pointer (`/spec/containers/0`), unescaped.
fn pointer(path: &str) -> Result<Vec<String>, OpError> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest =
        path.strip_prefix('/').ok_or_else(|| OpError(format!("`{path}` is not a JSON pointer (it starts with /)")))?;
    Ok(rest.split('/').map(|token| token.replace("~1", "/").replace("~0", "~")).collect())
}

/// A list index token: a number below `length` (or `-` handled by the caller).
fn index(token: &str, length: usize) -> Option<usize> {
    let valid = !token.is_empty()
        && token.bytes().all(|byte| byte.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    valid.then(|| token.parse::<usize>().ok()).flatten().filter(|position| *position < length)
}

fn resolve<'a>(node: &'a Node, tokens: &[String]) -> Option<&'a Node> {
    tokens.iter().try_fold(node, |node, token| match &node.value {
        Value::Map(_) => node.get(token),
        Value::Seq(items) => index(token, items.len()).and_then(|position| items.get(position)),
        _ => None,
    })
}

fn resolve_mut<'a>(node: &'a mut Node, tokens: &[String]) -> Option<&'a mut Node> {
    let mut node = node;
    for token in tokens {
        node = match &mut node.value {
            Value::Map(entries) => &mut entries.iter_mut().find(|entry| entry.key == token)?.value,
            Value::Seq(items) => {
                let position = index(token, items.len())?;
                items.get_mut(position)?
            }
            _ => return None,
        };
    }
    Some(node)
}

fn parent_of<'a, 't>(root: &'a mut Node, tokens: &'t [String], path: &str) -> Result<(&'a mut Node, &'t str), OpError> {
    let (last, parents) =
        tokens.split_last().ok_or_else(|| OpError(format!("`{path}`: the whole object cannot be patched")))?;
    let parent = resolve_mut(root, parents).ok_or_else(|| OpError(format!("`{path}`: its parent does not exist")))?;
    Ok((parent, last))
}

fn add(root: &mut Node, tokens: &[String], value: Node, path: &str) -> Result<(), OpError> {
    let (parent, last) = parent_of(root, tokens, path)?;
    match &mut parent.value {
        Value::Map(entries) => {
            let key_span = value.span;
            match entries.iter_mut().find(|entry| entry.key == last) {
                Some(entry) => {
                    entry.key_span = key_span;
                    entry.value = value;
                }
                None => edit_vec(entries, |entries| entries.push(Entry { key: last.into(), key_span, value })),
            }
        }
        Value::Seq(items) => {
            let position = if last == "-" {
                items.len()
            } else {
                index(last, items.len() + 1).ok_or_else(|| OpError(format!("`add {path}`: no such position")))?
            };
            edit_vec(items, |items| items.insert(position, value));
        }
        _ => return Err(OpError(format!("`add {path}`: its parent is not a map or a list"))),
    }
    Ok(())
}

fn remove(root: &mut Node, tokens: &[String], path: &str) -> Result<Node, OpError> {
    let (parent, last) = parent_of(root, tokens, path)?;
    let missing = || OpError(format!("`remove {path}`: nothing there"));
    match &mut parent.value {
        Value::Map(entries) => {
            let position = entries.iter().position(|entry| entry.key == last).ok_or_else(missing)?;
            let mut removed = None;
            edit_vec(entries, |entries| removed = Some(entries.remove(position).value));
            removed.ok_or_else(missing)
        }
        Value::Seq(items) => {
            let position = index(last, items.len()).ok_or_else(missing)?;
            let mut removed = None;
            edit_vec(items, |items| removed = Some(items.remove(position)));
            removed.ok_or_else(missing)
        }
        _ => Err(missing()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::parse::{parse_source, Limits};
    use rampart_core::Source;

    fn tree(text: &str) -> Node {
        let (mut documents, errors) = parse_source(&Source::new("t.yaml", text), &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        documents.remove(0).root
    }

    #[test]
    fn strategic_merge_merges_containers_by_name_and_keeps_positions() {
        let mut base = tree("spec:\n  containers:\n  - name: a\n    image: a:1\n  - name: b\n    image: b:1\n  volumes:\n  - name: v\n    emptyDir: {}\n  args: [x]\n");
        let patch = tree("spec:\n  containers:\n  - name: b\n    securityContext:\n      privileged: true\n  - name: c\n    image: c:1\n  - name: a\n    $patch: delete\n  args: [z]\n  volumes: null\n");
        assert_eq!(strategic_merge(&mut base, &patch), Merged::Keep);
        assert_eq!(
            base.to_json(),
            serde_json::json!({"spec": {"containers": [
                {"name": "b", "image": "b:1", "securityContext": {"privileged": true}},
                {"name": "c", "image": "c:1"}
            ], "args": ["z"]}})
        );
        // The image of b is the base's (line 6); its security context the patch's (line 4).
        assert_eq!(base.locate("spec.containers[0].image").line, 6);
        assert_eq!(base.locate("spec.containers[0].securityContext.privileged").line, 5);
        assert_eq!(base.locate("spec.containers[0].securityContext").line, 4);
        assert_eq!(base.locate("spec.containers[0]").line, 5, "the base item's position");
    }

    #[test]
    fn strategic_merge_replace_and_delete_directives() {
        let mut base = tree("a:\n  b: 1\n  c: 2\n");
        strategic_merge(&mut base, &tree("a:\n  $patch: replace\n  d: 3\n"));
        assert_eq!(base.to_json(), serde_json::json!({"a": {"d": 3}}));
        assert_eq!(strategic_merge(&mut base, &tree("$patch: delete\n")), Merged::Delete);
        let mut ports = tree("ports:\n- containerPort: 80\n  name: http\n");
        strategic_merge(&mut ports, &tree("ports:\n- containerPort: 80\n  hostPort: 80\n- containerPort: 9090\n"));
        assert_eq!(
            ports.to_json(),
            serde_json::json!({"ports": [{"containerPort": 80, "name": "http", "hostPort": 80}, {"containerPort": 9090}]})
        );
    }

    #[test]
    fn json6902_operations() {
        let mut root = tree("spec:\n  replicas: 1\n  list: [a, b]\n");
        let ops = tree("- op: replace\n  path: /spec/replicas\n  value: 3\n- op: add\n  path: /spec/list/-\n  value: c\n- op: add\n  path: /spec/list/0\n  value: z\n- op: remove\n  path: /spec/list/1\n- op: copy\n  from: /spec/replicas\n  path: /spec/copied\n- op: move\n  from: /spec/copied\n  path: /spec/moved\n- op: add\n  path: /metadata~1x\n  value: {k: v}\n- op: test\n  path: /spec/moved\n  value: 3\n");
        for op in ops.items() {
            json6902(&mut root, op).unwrap();
        }
        assert_eq!(
            root.to_json(),
            serde_json::json!({"spec": {"replicas": 3, "list": ["z", "b", "c"], "moved": 3}, "metadata/x": {"k": "v"}})
        );
        assert_eq!(root.locate("spec.replicas").line, 3, "the replaced value's line in the patch");
        let bad = tree("- op: replace\n  path: /spec/none\n  value: 1\n- op: test\n  path: /spec/replicas\n  value: 4\n- op: add\n  path: spec\n  value: 1\n- op: remove\n  path: /spec/list/7\n- op: jump\n  path: /a\n");
        for op in bad.items() {
            assert!(json6902(&mut root, op).is_err(), "{:?}", op.to_json());
        }
        assert!(json6902(&mut root, &tree("op: add\npath: /a/b/c\nvalue: 1\n")).is_err());
        assert!(json6902(&mut root, &tree("op: add\npath: /spec/list/01\nvalue: 1\n")).is_err());
    }
}
