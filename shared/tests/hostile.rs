//! Bad input never panics: thousands of mangled manifests (truncated, with YAML
//! punctuation sprayed in, with aliases and deep nesting) all come back as a report with
//! errors, never a crash.

use rampart_core::{check, Limits, Options, Source};

const SEED_MANIFEST: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  labels: {app: web, environment: prod}
  annotations:
    rampart.dev/ignore: \"pss-privileged\"
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/web: unconfined
    spec:
      hostNetwork: true
      securityContext: &ctx
        runAsUser: 0
        sysctls: [{name: kernel.msgmax, value: '1'}]
      volumes:
      - name: sock
        hostPath: {path: /var/run/docker.sock}
      containers:
      - name: web
        image: registry:5000/web
        env:
        - {name: DB_PASSWORD, value: hunter2}
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: s, key: t}}
        securityContext:
          <<: *ctx
          privileged: true
          capabilities: {add: [NET_RAW, SYS_ADMIN], drop: [all]}
        ports: [{containerPort: 80, hostPort: 80}]
        livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data:
  key.pem: \"-----BEGIN RSA PRIVATE KEY-----\\nabc\\n\"
";

/// A small deterministic generator (xorshift), so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

#[test]
fn mangled_manifests_never_panic() {
    let pieces = [
        ":",
        "-",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "&a ",
        "*a",
        "*x",
        "<<: ",
        "!!str ",
        "!tag ",
        "'",
        "\"",
        "|",
        ">",
        "#",
        "\n",
        "\t",
        "---\n",
        "...\n",
        "? ",
        ",",
        "%YAML 1.2\n",
        "\r\n",
        "\u{feff}",
        "é",
        "\\",
        "0x",
        "~",
        "null",
        "-1",
        "[]",
    ];
    let mut random = Random(0x5eed_cafe_f00d);
    let base: Vec<char> = SEED_MANIFEST.chars().collect();
    for _ in 0..3000 {
        let mut text: Vec<char> = base.clone();
        for _ in 0..1 + random.below(6) {
            let at = random.below(text.len() + 1);
            match random.below(4) {
                0 => text.truncate(at),
                1 => {
                    let end = (at + random.below(20)).min(text.len());
                    text.drain(at..end);
                }
                _ => {
                    let piece = pieces[random.below(pieces.len())];
                    text.splice(at..at, piece.chars());
                }
            }
        }
        let text: String = text.into_iter().collect();
        let report = check(&[Source::new("mangled.yaml", text.as_str())], &Options::default());
        for error in &report.errors {
            assert!(error.line >= 1 && error.column >= 1, "error without a position: {error:?}");
        }
        for finding in &report.findings {
            assert!(finding.line >= 1, "finding without a line: {finding:?}\n{text}");
        }
    }
}

#[test]
fn hostile_inputs_are_refused_with_a_clear_error() {
    let options = Options { limits: Limits { max_source_bytes: 1 << 20, ..Limits::default() }, ..Options::default() };
    let huge = "a: b\n".repeat(300_000);
    let report = check(&[Source::new("huge.yaml", huge)], &options);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].to_string().starts_with("huge.yaml:1:1: input is 1500000 bytes"), "{}", report.errors[0]);

    let deep = format!("{}x{}", "{a: ".repeat(50_000), "}".repeat(50_000));
    let report = check(&[Source::new("deep.yaml", deep)], &Options::default());
    assert!(report.errors[0].message.contains("nesting deeper"), "{:?}", report.errors);

    let deep_block: String = (0..1_000).map(|level| format!("{}k:\n", "  ".repeat(level))).collect();
    let report = check(&[Source::new("deep-block.yaml", deep_block)], &Options::default());
    assert!(report.errors[0].message.contains("nesting deeper"), "{:?}", report.errors);

    let mut laughs = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (previous, name) in ('a'..='i').zip('b'..='j') {
        laughs.push_str(&format!("{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
    }
    laughs.push_str(
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: survivor}\nspec: {containers: [{name: c, image: 'x:1'}]}\n",
    );
    let report = check(&[Source::new("laughs.yaml", laughs)], &Options::default());
    assert!(report.errors[0].message.contains("expands to more than"), "{:?}", report.errors);
    assert_eq!(report.objects.len(), 1, "the document after the bomb is still checked");
    assert_eq!(report.objects[0].resource.name, "survivor");
}
