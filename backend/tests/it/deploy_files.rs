//! The Dockerfile and docker-compose.yml describe a server that starts: no Docker engine
//! runs here, so these tests read the files and check what `docker compose up` relies on —
//! the services, their wiring, ports and settings, and a non-root, read-only-ready image.
//! The Kustomize bases of `deploy/`, rendered by `kubectl kustomize`, pass Rampart's own
//! check with nothing left open and meet Pod Security's restricted level.

use rampart_core::parse::{parse_source, Limits, Source};
use rampart_core::tree::Node;

fn read(name: &str) -> String {
    let path = format!("{}/../{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

fn compose() -> Node {
    let (mut documents, errors) =
        parse_source(&Source::new("docker-compose.yml", read("docker-compose.yml")), &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(documents.len(), 1);
    documents.remove(0).root
}

fn environment<'n>(service: &'n Node, name: &str) -> &'n str {
    service.field("environment").field(name).as_str().unwrap_or_else(|| panic!("{name} is not set"))
}

#[test]
fn compose_wires_postgres_mail_and_the_server() {
    let compose = compose();
    let services = compose.field("services");
    let names: Vec<&str> = services.entries().iter().map(|entry| &*entry.key).collect();
    assert_eq!(names, ["postgres", "mailpit", "rampart"]);

    let postgres = services.field("postgres");
    let user = environment(postgres, "POSTGRES_USER");
    let password = environment(postgres, "POSTGRES_PASSWORD");
    let database = environment(postgres, "POSTGRES_DB");

    let rampart = services.field("rampart");
    assert_eq!(rampart.field("build").as_str(), Some("."));
    assert_eq!(
        environment(rampart, "RAMPART_DATABASE_URL"),
        format!("postgres://{user}:{password}@postgres:5432/{database}"),
        "the server's database URL names the postgres service and its credentials"
    );
    assert_eq!(environment(rampart, "RAMPART_SMTP_URL"), "smtp://mailpit:1025");
    assert_eq!(environment(rampart, "RAMPART_PUBLIC_URL"), "http://localhost:8080", "email links reach the port");
    assert_eq!(environment(rampart, "RAMPART_LISTEN"), "0.0.0.0:8080");
    let ports: Vec<&str> = rampart.field("ports").items().iter().filter_map(Node::as_str).collect();
    assert_eq!(ports, ["8080:8080"]);
    assert_eq!(rampart.field("read_only").as_bool(), Some(true));
    let depends = rampart.field("depends_on");
    assert_eq!(depends.field("postgres").field("condition").as_str(), Some("service_healthy"));
    assert!(postgres.field("healthcheck").field("test").is_seq(), "postgres needs a healthcheck to be waited for");
    let mounts: Vec<&str> = rampart.field("volumes").items().iter().filter_map(Node::as_str).collect();
    assert_eq!(mounts, ["rampart-data:/var/lib/rampart"], "the only writable place of a read-only container");
    assert!(compose.field("volumes").get("rampart-data").is_some());
}

#[test]
fn the_image_runs_the_server_as_non_root_from_a_distroless_base() {
    let dockerfile = read("Dockerfile");
    let instructions: Vec<&str> =
        dockerfile.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).collect();
    let from: Vec<&&str> = instructions.iter().filter(|line| line.starts_with("FROM ")).collect();
    assert_eq!(from.len(), 2, "a build stage and a runtime stage");
    assert!(from[1].contains("distroless"), "{}", from[1]);
    assert!(instructions.contains(&"USER 65532:65532"), "the runtime stage runs as the distroless nonroot user");
    assert!(instructions.contains(&"EXPOSE 8080"));
    assert!(instructions.contains(&"VOLUME /var/lib/rampart"));
    // `rampart` with `serve` by default; the agent's Deployment gives `agent` instead.
    assert!(instructions.contains(&"ENTRYPOINT [\"rampart\"]"));
    assert_eq!(instructions.last(), Some(&"CMD [\"serve\"]"));
    // Everything the server writes must sit in the volume, so a read-only root works.
    for setting in [
        "RAMPART_DATABASE_URL=sqlite:///var/lib/rampart/",
        "RAMPART_SECRET_KEY_FILE=/var/lib/rampart/",
        "RAMPART_LISTEN=0.0.0.0:8080",
        // Two malloc arenas: a scan's peak RSS as BENCHMARKS.md measured it.
        "MALLOC_ARENA_MAX=2",
    ] {
        assert!(dockerfile.contains(setting), "the image sets {setting}");
    }
    // The web app is built before the release binary, which embeds it (backend/build.rs).
    let dist = dockerfile.find("cargo xtask dist").expect("the image builds the web app");
    let release = dockerfile.find("cargo build --profile dist").expect("the image builds an optimised binary");
    assert!(dist < release, "frontend/dist must exist when the release build embeds it");
}

/// A base of `deploy/` as `kubectl kustomize` renders it.
fn kustomize(base: &str) -> String {
    let directory = format!("{}/../deploy/{base}", env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new("kubectl")
        .args(["kustomize", &directory])
        .output()
        .expect("kubectl runs (cargo xtask test installs it: Debian's kubectl package)");
    assert!(output.status.success(), "kubectl kustomize {base}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_deploy_base_passes_its_own_check_at_restricted() {
    for base in ["server", "agent", "agent-with-secrets"] {
        let rendered = kustomize(base);
        let file = std::env::temp_dir().join(format!("rampart-deploy-{base}-{}.yaml", std::process::id()));
        std::fs::write(&file, &rendered).unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["check", "--complete", "-o", "json"])
            .arg(&file)
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&file);
        assert_eq!(output.status.code(), Some(0), "{base}: {}", String::from_utf8_lossy(&output.stdout));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let findings = report["findings"].as_array().unwrap();
        for finding in findings {
            assert_eq!(finding["exempted"], true, "{base}: a finding left open: {finding}");
            let reason = finding["exemption_reason"].as_str().unwrap_or_default();
            assert!(
                !reason.is_empty() && !reason.starts_with("exempted by the"),
                "{base}: an exemption without its reason: {finding}"
            );
        }
        let workloads: Vec<&serde_json::Value> = report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|object| object["resource"]["kind"] == "Deployment")
            .collect();
        assert_eq!(workloads.len(), 1, "{base}");
        for workload in workloads {
            assert_eq!(workload["pss"], "restricted", "{base}: {workload}");
        }
        assert_eq!(report["score"], 100, "{base}");
    }
    // The server: two replicas on PostgreSQL, its probes, its secrets by reference.
    let server = kustomize("server");
    for needed in [
        "replicas: 2",
        "path: /healthz",
        "path: /readyz",
        "kind: PodDisruptionBudget",
        "kind: Service",
        "secretName: rampart-server",
    ] {
        assert!(server.contains(needed), "the server's base has {needed}");
    }
    assert!(!server.contains("postgres://"), "no database URL (nor its password) in the manifests");
    let agent = kustomize("agent");
    assert!(!agent.contains("- secrets\n"), "the agent's base does not list Secrets");
    assert!(kustomize("agent-with-secrets").contains("resources:\n  - secrets"));
}
