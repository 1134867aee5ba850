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
    let file = directory.join("server.yaml");
    std::fs::write(&file, settings).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["serve", "--settings"])
        .arg(&file)
        .env_remove("RAMPART_DATABASE_URL")
        .env_remove("RAMPART_SECRET_KEY")
        .env("RAMPART_LISTEN", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .current_dir(directory)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(link) = line.trim().strip_prefix("http://").filter(|link| link.contains("/setup?token=")) {
                let _ = sender.send(format!("http://{link}"));
            }
        }
    });
    let link = receiver.recv_timeout(Duration::from_secs(60)).expect("rampart serve prints a setup link");
    (server, link)
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
