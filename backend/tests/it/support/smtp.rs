//! A small SMTP server for tests, on a loopback port: it speaks what a client that sends
//! mail needs (EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT),
//! records every message it accepts, and misbehaves on demand: the next connections
//! greeted with a code such as 421 and closed, the next messages refused at the end of
//! DATA with a code such as 451 or 550, or the port closed for a while (`stop`, then
//! `restart` on the same port). It decodes what it records (headers, quoted-printable and
//! base64 parts) so tests can read the text and HTML of a message.

#![allow(dead_code)] // Each test binary uses the part it needs.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A message the server accepted.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, dot-unstuffed, lines ending in CRLF.
    pub data: String,
}

#[derive(Default)]
struct Behaviour {
    /// Codes to greet the next connections with (closing them after).
    greetings: VecDeque<u16>,
    /// Codes to answer the next messages with at the end of DATA (not recording them).
    data_answers: VecDeque<u16>,
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    behaviour: Mutex<Behaviour>,
    /// Connections accepted, whatever became of them.
    connections: Mutex<usize>,
}

pub struct SmtpServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let address = listener.local_addr().unwrap();
        let server = SmtpServer { address, shared: Arc::default(), tasks: Mutex::default() };
        server.serve(listener);
        server
    }

    fn serve(&self, listener: TcpListener) {
        let shared = self.shared.clone();
        let accept = tokio::spawn(async move {
            // Connections end with the accept task (`stop` aborts it): the server is really
            // down then, not half open.
            let mut connections = Connections(Vec::new());
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                *shared.connections.lock().unwrap() += 1;
                connections.0.retain(|task| !task.is_finished());
                connections.0.push(tokio::spawn(session(stream, shared.clone())));
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// `smtp://127.0.0.1:PORT`, plain SMTP as `RAMPART_SMTP_URL` names it.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.shared.messages.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        *self.shared.connections.lock().unwrap()
    }

    /// Greets each of the next connections with one of these codes, then closes it.
    pub fn greet_next_with(&self, codes: &[u16]) {
        self.shared.behaviour.lock().unwrap().greetings.extend(codes);
    }

    /// Answers each of the next messages with one of these codes at the end of DATA
    /// (refused: not recorded).
    pub fn answer_next_data_with(&self, codes: &[u16]) {
        self.shared.behaviour.lock().unwrap().data_answers.extend(codes);
    }

    /// Closes the port: connections are refused until [`restart`](Self::restart).
    pub fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&self) {
        // The aborted accept task drops its listener asynchronously: bind until it is gone.
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(error) => panic!("cannot listen on {} again: {error}", self.address),
            }
        };
        self.serve(listener);
    }

    /// Waits until `count` messages were accepted (or panics after a minute, saying what
    /// arrived).
    pub async fn wait_for_messages(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(Instant::now() < deadline, "{} of {count} messages arrived: {messages:#?}", messages.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The open connections, aborted when the accept task that holds them is.
struct Connections(Vec<JoinHandle<()>>);

impl Drop for Connections {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

async fn reply(writer: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> std::io::Result<()> {
    writer.write_all(text.as_bytes()).await?;
    writer.write_all(b"\r\n").await?;
    writer.flush().await
}

/// One client's session, until QUIT or the connection ends.
async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let _ = run_session(stream, &shared).await;
}

async fn run_session(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let greeting = shared.behaviour.lock().unwrap().greetings.pop_front();
    if let Some(code) = greeting {
        reply(&mut writer, &format!("{code} 4.3.2 test server not available, closing")).await?;
        return Ok(());
    }
    reply(&mut writer, "220 127.0.0.1 ESMTP test server").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let verb = command.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let argument = |prefix: &str| {
            command
                .get(prefix.len()..)
                .filter(|_| command.to_ascii_uppercase().starts_with(prefix))
                .map(|rest| rest.trim().trim_start_matches('<').split('>').next().unwrap_or_default().to_string())
        };
        match verb.as_str() {
            "EHLO" => reply(&mut writer, "250-127.0.0.1 greets you\r\n250-8BITMIME\r\n250 SMTPUTF8").await?,
            "HELO" => reply(&mut writer, "250 127.0.0.1").await?,
            "MAIL" => match argument("MAIL FROM:") {
                Some(address) => {
                    from = Some(address);
                    to.clear();
                    reply(&mut writer, "250 2.1.0 OK").await?;
                }
                None => reply(&mut writer, "501 5.5.4 syntax: MAIL FROM:<address>").await?,
            },
            "RCPT" => match (&from, argument("RCPT TO:")) {
                (None, _) => reply(&mut writer, "503 5.5.1 MAIL first").await?,
                (Some(_), Some(address)) => {
                    to.push(address);
                    reply(&mut writer, "250 2.1.5 OK").await?;
                }
                (Some(_), None) => reply(&mut writer, "501 5.5.4 syntax: RCPT TO:<address>").await?,
            },
            "DATA" => {
                if from.is_none() || to.is_empty() {
                    reply(&mut writer, "503 5.5.1 MAIL and RCPT first").await?;
                    continue;
                }
                reply(&mut writer, "354 end data with <CR><LF>.<CR><LF>").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    // Dot-unstuffing: a line the client began with a dot has a second one.
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(unstuffed);
                }
                let answer = shared.behaviour.lock().unwrap().data_answers.pop_front();
                match answer {
                    Some(code) => {
                        let class = if code >= 500 { 5 } else { 4 };
                        reply(&mut writer, &format!("{code} {class}.3.0 test server refuses this message")).await?;
                    }
                    None => {
                        let received = Received { from: from.take().unwrap_or_default(), to: to.clone(), data };
                        let id = {
                            let mut messages = shared.messages.lock().unwrap();
                            messages.push(received);
                            messages.len()
                        };
                        reply(&mut writer, &format!("250 2.0.0 OK queued as {id}")).await?;
                    }
                }
                from = None;
                to.clear();
            }
            "RSET" => {
                from = None;
                to.clear();
                reply(&mut writer, "250 2.0.0 OK").await?;
            }
            "NOOP" => reply(&mut writer, "250 2.0.0 OK").await?,
            "QUIT" => {
                reply(&mut writer, "221 2.0.0 bye").await?;
                return Ok(());
            }
            _ => reply(&mut writer, "502 5.5.2 command not recognised").await?,
        }
    }
}

/// Headers with their continuation lines joined, and the body after them.
fn split_headers(text: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'=' && index + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&joined[index + 1..index + 3], 16) {
                decoded.push(byte);
                index += 3;
                continue;
            }
        }
        decoded.push(bytes[index]);
        index += 1;
    }
    String::from_utf8(decoded).expect("quoted-printable of UTF-8")
}

fn decode_base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut decoded = Vec::new();
    for byte in text.bytes() {
        let Some(value) = ALPHABET.iter().position(|&letter| letter == byte) else { continue };
        bits = (bits << 6) | value as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            decoded.push((bits >> count) as u8);
        }
    }
    String::from_utf8(decoded).expect("base64 of UTF-8")
}

impl Received {
    /// A top-level header's value (continuation lines joined).
    pub fn header(&self, name: &str) -> Option<String> {
        header(&split_headers(&self.data).0, name).map(str::to_string)
    }

    /// The decoded body of the part of this content type (`text/plain`, `text/html`),
    /// in a multipart message or as the whole message.
    pub fn part(&self, content_type: &str) -> Option<String> {
        let (headers, body) = split_headers(&self.data);
        let top_type = header(&headers, "Content-Type").unwrap_or("text/plain");
        let parts: Vec<&str> = match top_type.split("boundary=").nth(1) {
            Some(boundary) => {
                let boundary = boundary.split(';').next().unwrap_or_default().trim().trim_matches('"');
                body.split(&format!("--{boundary}")).skip(1).filter(|part| !part.starts_with("--")).collect()
            }
            None => vec![&self.data],
        };
        parts.into_iter().find_map(|part| {
            let (part_headers, part_body) = split_headers(part.trim_start_matches("\r\n"));
            let part_type = header(&part_headers, "Content-Type").unwrap_or("text/plain");
            if !part_type.to_ascii_lowercase().starts_with(content_type) {
                return None;
            }
            let part_body = part_body.strip_suffix("\r\n").unwrap_or(part_body);
            Some(match header(&part_headers, "Content-Transfer-Encoding").map(str::to_ascii_lowercase).as_deref() {
                Some("quoted-printable") => decode_quoted_printable(part_body),
                Some("base64") => decode_base64(part_body),
                _ => part_body.to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_mail_clients_send() {
        assert_eq!(decode_quoted_printable("prod =E2=80=94 72=\r\n C =3D ok"), "prod — 72 C = ok");
        assert_eq!(decode_base64("cHJvZCDigJQgNzI="), "prod — 72");
        let message = Received {
            from: "a@example.com".into(),
            to: vec!["b@example.com".into()],
            data: "Subject: hi\r\n there\r\nContent-Type: multipart/alternative;\r\n boundary=\"xyz\"\r\n\r\n\
                   --xyz\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\
                   \r\nplain =E2=80=94 text\r\n--xyz\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--xyz--\r\n"
                .into(),
        };
        assert_eq!(message.header("subject").as_deref(), Some("hi there"));
        assert_eq!(message.part("text/plain").as_deref(), Some("plain — text"));
        assert_eq!(message.part("text/html").as_deref(), Some("<p>html</p>"));
    }
}
