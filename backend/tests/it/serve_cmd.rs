//! `rampart serve` as a user runs it: the real binary, a settings file, the one-time setup
//! link it prints on a first run, and the page behind that link.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// The server process, stopped when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scratch(test: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("rampart-serve-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

/// Starts `rampart serve --settings FILE` and returns it with the first-run setup link it
/// printed (read from its stderr, within a minute).
fn serve_with_settings(directory: &std::path::Path, settings: &str) -> (Server, String) {
    let (server, link, _) = serve(directory, settings, &[], None);
    (server, link)
}

/// The last line of [`Lines`], once the server's stderr is closed.
const END: &str = "<end of stderr>";

/// The server's stderr lines, as they come.
type Lines = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Starts `rampart serve --settings FILE` with extra environment variables and, when
/// given, a lower open-file limit (through the shell's `ulimit -n`); the server, its setup
/// link and every line of its stderr.
fn serve(
    directory: &std::path::Path,
    settings: &str,
    env: &[(&str, &str)],
    open_files: Option<u32>,
) -> (Server, String, Lines) {
    let file = directory.join("server.yaml");
    std::fs::write(&file, settings).unwrap();
    let binary = env!("CARGO_BIN_EXE_rampart");
    let mut command = match open_files {
        Some(limit) => {
            let mut command = Command::new("sh");
            command.arg("-c").arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\"")).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    command
        .args(["serve", "--settings"])
        .arg(&file)
        .env_remove("RAMPART_DATABASE_URL")
        .env_remove("RAMPART_SECRET_KEY")
        .env_remove("RUST_LOG")
        .env("RAMPART_LISTEN", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .current_dir(directory)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let (sender, receiver) = std::sync::mpsc::channel();
    let lines = Lines::default();
    let kept = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(link) = line.trim().strip_prefix("http://").filter(|link| link.contains("/setup?token=")) {
                let _ = sender.send(format!("http://{link}"));
            }
            kept.lock().unwrap().push(line);
        }
        kept.lock().unwrap().push(END.to_string());
    });
    let link = receiver.recv_timeout(Duration::from_secs(60)).expect("rampart serve prints a setup link");
    (server, link, lines)
}

#[tokio::test]
async fn first_run_setup_link_and_settings_file() {
    let directory = scratch("setup");
    // The file's listen address is unusable: RAMPART_LISTEN (port 0) must win over it,
    // while the database comes from the file.
    let (_server, link) = serve_with_settings(
        &directory,
        "listen: 256.0.0.1:80\ndatabase-url: sqlite://data/from-settings.db\nsecret-key-file: data/key\n",
    );
    assert!(directory.join("data/from-settings.db").exists(), "the database named in the settings file is used");
    let base = link.split("/setup").next().unwrap().to_string();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let client = reqwest::Client::new();

    let page = client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Create the first admin") && html.contains(&format!("value=\"{token}\"")), "{html}");
    assert!(!html.contains("<script"), "the page works under the CSP without scripts");

    let submit = |body: String| {
        client
            .post(format!("{base}/setup"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let short = submit(format!("token={token}&email=root%40example.com&password=short")).await.unwrap();
    assert_eq!(short.status(), 400);
    assert!(short.text().await.unwrap().contains("at least 8 characters"));
    let created = submit(format!("token={token}&email=root%40example.com&password=a+long+password")).await.unwrap();
    assert_eq!(created.status(), 201);
    let again = submit(format!("token={token}&email=eve%40example.com&password=a+long+password")).await.unwrap();
    assert_eq!(again.status(), 403, "the link works once");
    assert_eq!(client.get(&link).send().await.unwrap().status(), 404, "setup is done");

    let login = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "email": "root@example.com", "password": "a long password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 201);
    let me: Value = login.json().await.unwrap();
    assert_eq!(me["user"]["admin"], true, "{me}");
    let _ = std::fs::remove_dir_all(&directory);
}

#[test]
fn a_bad_settings_file_is_a_usage_error_naming_the_line() {
    let directory = scratch("bad");
    let file = directory.join("server.yaml");
    std::fs::write(&file, "listen: 127.0.0.1:0\ndatabse-url: sqlite://x.db\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["serve", "--settings"])
        .arg(&file)
        .current_dir(&directory)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("server.yaml:2: unknown setting 'databse-url'"), "{stderr}");
    assert!(!directory.join("rampart-data").exists(), "nothing is created before the settings are valid");
    let _ = std::fs::remove_dir_all(&directory);
}

/// The most memory the process has held (VmHWM of /proc/PID/status), in MiB.
fn peak_memory_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("VmHWM in /proc/PID/status");
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

fn base_of(link: &str) -> String {
    link.split("/setup").next().unwrap().to_string()
}

/// 200 logins at once with random emails (each would hash a password with argon2id, 19 MiB
/// apiece): the server hashes a few at a time, refuses what it cannot queue with 503 and
/// Retry-After, and its peak memory stays under 300 MB. The per-address limit is raised
/// here so that the global one is what holds, as it must for a burst from many addresses.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_burst_keeps_memory_flat() {
    let directory = scratch("burst");
    let (server, link, _) = serve(
        &directory,
        "database-url: sqlite://data/burst.db\nsecret-key-file: data/key\nlogins-per-address: 100000\n",
        &[],
        None,
    );
    let base = base_of(&link);
    let client = reqwest::Client::new();
    let logins: Vec<_> = (0..200)
        .map(|n| {
            let request = client.post(format!("{base}/api/v1/session")).json(&json!({
                "email": format!("nobody-{n}-{}@example.com", std::process::id()),
                "password": format!("a guess that is long enough {n}"),
            }));
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.headers().get("retry-after").is_some())
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for login in logins {
        let (status, retry_after) = login.await.unwrap();
        assert!(matches!(status, 401 | 429 | 503), "unexpected {status}");
        assert!(status == 401 || retry_after, "a {status} says when to come back");
        *statuses.entry(status).or_default() += 1;
    }
    let peak = peak_memory_mib(server.0.id());
    eprintln!("200 concurrent logins: {statuses:?}, peak memory {peak} MiB");
    assert!(peak < 300, "the server's memory peaked at {peak} MiB ({statuses:?})");
    assert!(statuses.get(&401).is_some_and(|checked| *checked >= 2), "some passwords were checked: {statuses:?}");
    assert_eq!(client.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    let _ = std::fs::remove_dir_all(&directory);
}

/// Reads from `socket` until the server closes it; false if it is still open after 30 s.
async fn closed_by_server(socket: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 4096];
    let read_all = async {
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read_all).await.is_ok()
}

/// A request whose headers never end, and a kept-alive connection left idle after its
/// answer, are closed after the header-read timeout.
#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    use tokio::io::AsyncWriteExt;
    let directory = scratch("slow");
    let (_server, link, _) = serve(
        &directory,
        "database-url: sqlite://data/slow.db\nsecret-key-file: data/key\nheader-read-timeout: 1s\n",
        &[],
        None,
    );
    let address = base_of(&link).trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: rampart\r\nX-Never-Ending: ").await.unwrap();
    assert!(closed_by_server(&mut slow).await, "a request whose headers never end is closed");

    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: rampart\r\n\r\n").await.unwrap();
    assert!(closed_by_server(&mut idle).await, "an idle kept-alive connection is closed");
    let _ = std::fs::remove_dir_all(&directory);
}

/// With far more idle connections open than the server may hold under its open-file limit
/// (256 here), it keeps file descriptors free, answers further clients 503 with
/// Retry-After, and still answers /healthz.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_idle_connections_fill_the_server() {
    let directory = scratch("crowd");
    let (_server, link, lines) = serve(
        &directory,
        "database-url: sqlite://data/crowd.db\nsecret-key-file: data/key\nheader-read-timeout: 120s\n",
        &[],
        Some(256),
    );
    let base = base_of(&link);
    let address = base.trim_start_matches("http://").to_string();
    let mut crowd = Vec::new();
    for _ in 0..600 {
        match tokio::net::TcpStream::connect(&address).await {
            Ok(socket) => crowd.push(socket),
            Err(_) => break,
        }
    }
    assert!(crowd.len() >= 300, "{} connections opened", crowd.len());
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let mut health = None;
    let mut busy = None;
    for _ in 0..60 {
        if health.is_none() {
            health = client.get(format!("{base}/healthz")).send().await.ok().map(|response| response.status());
        }
        if busy.is_none() {
            busy = client.get(format!("{base}/api/v1/me")).send().await.ok().map(|response| {
                (
                    response.status(),
                    response.headers().get("retry-after").map(|value| value.to_str().unwrap().to_string()),
                )
            });
        }
        if health.is_some() && busy.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(health, Some(reqwest::StatusCode::OK), "/healthz answers");
    assert_eq!(
        busy,
        Some((reqwest::StatusCode::SERVICE_UNAVAILABLE, Some("1".to_string()))),
        "the API says it is full"
    );
    let log = lines.lock().unwrap().join("\n");
    assert!(log.contains("the open-file limit allows fewer connections"), "{log}");
    assert!(!log.contains("Too many open files"), "{log}");
    drop(crowd);
    let _ = std::fs::remove_dir_all(&directory);
}

/// At debug level, the setup token, passwords and unsubscribe tokens appear in no log
/// line (the setup link is printed once, for whoever starts the server, and that is all).
#[tokio::test]
async fn secrets_are_never_logged() {
    let directory = scratch("logs");
    let (server, link, lines) = serve(
        &directory,
        "database-url: sqlite://data/logs.db\nsecret-key-file: data/key\n",
        &[("RUST_LOG", "trace")],
        None,
    );
    let base = base_of(&link);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let password = "a secret password 8c1f";
    let client = reqwest::Client::new();
    assert_eq!(client.get(&link).send().await.unwrap().status(), 200);
    let created = client
        .post(format!("{base}/setup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}&email=root%40example.com&password={}", password.replace(' ', "+")))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let login = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "email": "root@example.com", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 201);
    let unsubscribe_token = "unsubscribe-secret-5f0e2a";
    let _ = client.get(format!("{base}/unsubscribe?token={unsubscribe_token}")).send().await.unwrap();
    let _ = client.post(format!("{base}/unsubscribe?token={unsubscribe_token}")).send().await.unwrap();
    drop(server);
    for _ in 0..300 {
        if lines.lock().unwrap().last().is_some_and(|line| line == END) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let lines = lines.lock().unwrap();
    assert_eq!(lines.last().map(String::as_str), Some(END), "the whole stderr was read");
    assert!(lines.iter().any(|line| line.contains("DEBUG")), "debug logs were on");
    let printed = lines.iter().filter(|line| line.contains(&token)).collect::<Vec<_>>();
    assert_eq!(printed.len(), 1, "the token is only in the printed link: {printed:?}");
    assert!(printed[0].trim().starts_with("http://") && !printed[0].contains("DEBUG"));
    for secret in [password, unsubscribe_token] {
        assert!(!lines.iter().any(|line| line.contains(secret)), "{secret} was logged");
    }
    let _ = std::fs::remove_dir_all(&directory);
}

/// The first admin of a fresh server (through its setup link), logged in: the cookie and
/// CSRF token of the session.
async fn first_admin(client: &reqwest::Client, link: &str) -> (String, String) {
    let base = base_of(link);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let password = "the admin's long password";
    let setup = client
        .post(format!("{base}/api/v1/setup"))
        .json(&json!({ "token": token, "email": "root@example.com", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), 201);
    let login = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "email": "root@example.com", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 201);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let body: Value = login.json().await.unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_string())
}

/// 200 users created at once by an admin, each with a password: their hashes go through
/// the same bounded hashing threads as logins (one at a time here, eight waiting), so the
/// burst is answered 503 with Retry-After past the queue, the server's peak memory stays
/// under 300 MB, and the users it did create can log in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_admin_created_users_shares_the_hashing_bound() {
    let directory = scratch("creates");
    let (server, link, _) = serve(
        &directory,
        "database-url: sqlite://data/creates.db\nsecret-key-file: data/key\nmax-concurrent-logins: 1\n",
        &[],
        None,
    );
    let base = base_of(&link);
    let client = reqwest::Client::new();
    let (cookie, csrf) = first_admin(&client, &link).await;
    let creates: Vec<_> = (0..200)
        .map(|n| {
            let request = client
                .post(format!("{base}/api/v1/users"))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
                .json(&json!({ "email": format!("user{n}@example.com"), "password": format!("a long password {n}") }));
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (n, response.status().as_u16(), response.headers().get("retry-after").is_some())
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut created = Vec::new();
    for create in creates {
        let (n, status, retry_after) = create.await.unwrap();
        assert!(matches!(status, 201 | 503), "unexpected {status}");
        assert!(status == 201 || retry_after, "a 503 says when to come back");
        if status == 201 {
            created.push(n);
        }
        *statuses.entry(status).or_default() += 1;
    }
    let peak = peak_memory_mib(server.0.id());
    eprintln!("200 concurrent user creations: {statuses:?}, peak memory {peak} MiB");
    assert!(peak < 300, "the server's memory peaked at {peak} MiB ({statuses:?})");
    assert!(statuses.get(&503).is_some_and(|refused| *refused > 0), "the queue was full at some point: {statuses:?}");
    let n = *created.first().expect("some users were created");
    let login = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "email": format!("user{n}@example.com"), "password": format!("a long password {n}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 201, "a user created in the burst logs in with its password");
    let _ = std::fs::remove_dir_all(&directory);
}

/// A login attempt with an unknown email, from `forwarded_for` when given (as a proxy
/// would say it); the status.
async fn attempt(client: &reqwest::Client, base: &str, forwarded_for: Option<&str>) -> u16 {
    let mut request = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "email": "nobody@example.com", "password": "a guess, long enough" }));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Without trusted proxies, X-Forwarded-For is the client's own say: ignored. Every
/// attempt below comes from 127.0.0.1 whatever address it claims, and the fourth is over
/// the limit of three.
#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let directory = scratch("untrusted");
    // 127.0.0.1 is not among the trusted proxies.
    let (_server, link, _) = serve(
        &directory,
        "database-url: sqlite://data/untrusted.db\nsecret-key-file: data/key\nlogins-per-address: 3\n\
         trusted-proxies: 10.0.0.0/8\n",
        &[],
        None,
    );
    let base = base_of(&link);
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for claimed in ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5"] {
        statuses.push(attempt(&client, &base, Some(claimed)).await);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429], "the claimed addresses did not count apart");
    let _ = std::fs::remove_dir_all(&directory);
}

/// Behind a trusted proxy (here the test itself, on 127.0.0.1), each client is the address
/// the proxy appended to X-Forwarded-For: two clients are limited apart, a client's own
/// forged entry to the left changes nothing, and requests of the proxy itself count as the
/// proxy's.
#[tokio::test]
async fn behind_a_trusted_proxy_clients_are_limited_apart() {
    let directory = scratch("trusted");
    let (_server, link, _) = serve(
        &directory,
        "database-url: sqlite://data/trusted.db\nsecret-key-file: data/key\nlogins-per-address: 3\n",
        &[("RAMPART_TRUSTED_PROXIES", "127.0.0.0/8, ::1")],
        None,
    );
    let base = base_of(&link);
    let client = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(attempt(&client, &base, Some("203.0.113.1")).await, 401);
    }
    assert_eq!(attempt(&client, &base, Some("203.0.113.1")).await, 429, "the first client is over its limit");
    // The first client claims another address; the proxy appends the real one.
    assert_eq!(attempt(&client, &base, Some("198.51.100.77, 203.0.113.1")).await, 429, "a forged entry is skipped");
    // A second client, behind the same proxy, has attempts of its own.
    assert_eq!(attempt(&client, &base, Some("203.0.113.1, 203.0.113.2")).await, 401, "the second client counts apart");
    assert_eq!(attempt(&client, &base, Some("203.0.113.2")).await, 401);
    // The proxy's own requests (no header) count as the proxy's.
    assert_eq!(attempt(&client, &base, None).await, 401, "the proxy's own address counts apart");
    let _ = std::fs::remove_dir_all(&directory);
}
