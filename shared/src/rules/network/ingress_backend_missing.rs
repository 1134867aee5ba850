//! `ingress-backend-missing`: an Ingress should route to Services (and ports) that exist.

use crate::declare_rule;
use crate::index::{effective_namespace, ServiceSummary};
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};
use crate::tree::Node;

declare_rule! {
    /// ## What it checks
    /// Every backend of an Ingress — `spec.defaultBackend` and each path of
    /// `spec.rules[].http.paths[]` — names a Service of the Ingress's namespace, and a port
    /// that Service has: `port.number` among its `ports[].port`, `port.name` among its
    /// `ports[].name`. The older `serviceName` / `servicePort` form is read too; resource
    /// backends are left out. The finding points at the Service's name, or at the port.
    ///
    /// Judged only when the input holds the whole namespace (the Namespace object in the
    /// manifests, `--complete`, or a cluster scan). System namespaces are left out.
    ///
    /// ## Why it matters
    /// A route to nothing answers 503 today, and tomorrow sends the host's traffic to
    /// whatever anyone creates under that Service name — in a namespace where others may
    /// create Services, a way to capture requests meant for someone else.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend:
    ///           service:
    ///             name: storefront
    ///             port:
    ///               number: 80
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend:
    ///           service:
    ///             name: storefront
    ///             port:
    ///               number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: storefront
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///   - port: 80
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether the route or the Service is wrong is for a person to say.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource>
    pub static RULE = Rule {
        id: "ingress-backend-missing",
        title: "Ingress routes to a missing Service",
        severity: Severity::Medium,
        family: Family::Network,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(1),
        cis: None,
        remediation: "Point the backend at an existing Service and one of its ports, or create the Service.",
        check,
    };
}

/// One backend: the path of its Service name, the name, and the port (number or name)
/// with the path of the port field.
struct Backend<'a> {
    path: String,
    name: &'a str,
    port: Option<(String, &'a Node)>,
}

/// The Service backend at `path` (v1 `service` or v1beta1 `serviceName`), if it is one.
fn backend<'a>(node: &'a Node, path: String) -> Option<Backend<'a>> {
    if let Some(service) = node.get("service") {
        let name = service.field("name").as_str()?;
        let port = service.field("port");
        let port = ["number", "name"]
            .into_iter()
            .find_map(|field| port.get(field).map(|value| (format!("{path}.service.port.{field}"), value)));
        return Some(Backend { path: format!("{path}.service.name"), name, port });
    }
    let name = node.field("serviceName").as_str()?;
    let port = node.get("servicePort").map(|value| (format!("{path}.servicePort"), value));
    Some(Backend { path: format!("{path}.serviceName"), name, port })
}

fn backends(object: &Object) -> Vec<Backend<'_>> {
    let spec = object.root.field("spec");
    let mut found = Vec::new();
    for field in ["defaultBackend", "backend"] {
        if let Some(node) = spec.get(field) {
            found.extend(backend(node, format!("spec.{field}")));
        }
    }
    for (rule_index, rule) in spec.field("rules").items().iter().enumerate() {
        for (path_index, path) in rule.field("http").field("paths").items().iter().enumerate() {
            let at = format!("spec.rules[{rule_index}].http.paths[{path_index}].backend");
            found.extend(backend(path.field("backend"), at));
        }
    }
    found
}

/// Whether the Service has the port: a number among `ports[].port`, a name among
/// `ports[].name`.
fn has_port(service: &ServiceSummary, port: &Node) -> bool {
    let ports = service.ports.items();
    match port.as_i64() {
        Some(number) => ports.iter().any(|entry| entry.field("port").as_i64() == Some(number)),
        None => {
            let name = port.as_text();
            ports.iter().any(|entry| entry.field("name").as_text() == name)
        }
    }
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let is_ingress = object.is("networking.k8s.io", "Ingress") || object.is("extensions", "Ingress");
    let namespace = effective_namespace(object);
    if !is_ingress || !cx.sees_whole_namespace(namespace) {
        return Outcome::NotApplicable;
    }
    let mut violations = Vec::new();
    for backend in backends(object) {
        match cx.index.service(namespace, backend.name) {
            None => violations.push(Violation::new(
                backend.path,
                format!("routes to Service {}, which does not exist in namespace {namespace}", backend.name),
            )),
            Some(service) => {
                if let Some((path, port)) = backend.port {
                    if !has_port(service, port) {
                        violations.push(Violation::new(
                            path,
                            format!(
                                "routes to port {} of Service {}, which has no such port",
                                port.as_text().unwrap_or_default(),
                                backend.name
                            ),
                        ));
                    }
                }
            }
        }
    }
    Outcome::Checked(violations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge;

    #[test]
    fn missing_services_and_ports_are_found() {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  ports:\n  - port: 80\n    name: http\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: shop\n  namespace: shop\nspec:\n  defaultBackend:\n    service:\n      name: api\n      port: {name: http}\n  rules:\n  - http:\n      paths:\n      - backend:\n          service: {name: api, port: {number: 8080}}\n      - backend:\n          service: {name: gone, port: {number: 80}}\n      - backend:\n          resource: {apiGroup: k8s.example.com, kind: Bucket, name: b}\n";
        let judged = judge(&RULE, yaml);
        let messages: Vec<(String, String)> =
            judged[2].violations().iter().map(|(path, message, _)| (path.clone(), message.clone())).collect();
        assert_eq!(
            messages,
            [
                (
                    "spec.rules[0].http.paths[0].backend.service.port.number".to_string(),
                    "routes to port 8080 of Service api, which has no such port".to_string()
                ),
                (
                    "spec.rules[0].http.paths[1].backend.service.name".to_string(),
                    "routes to Service gone, which does not exist in namespace shop".to_string()
                ),
            ]
        );
    }
}
