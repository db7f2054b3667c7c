//! Starting and stopping a real `vedette serve` for a test.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vedette"))
}

/// A running server and the addresses it bound.
pub struct Server {
    child: Option<Child>,
    dir: PathBuf,
    pub http: SocketAddr,
    pub tcp: SocketAddr,
    pub udp: SocketAddr,
    client: reqwest::blocking::Client,
}

/// Polls `f` until it returns Some, or panics after `limit`.
pub fn wait_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "condition not met within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Percent-encodes a query parameter value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A value from Prometheus text: `name value`.
pub fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(name) && l.as_bytes().get(name.len()) == Some(&b' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

/// The value of `<input name="NAME" value="...">` in a page.
pub fn form_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.split("value=\"").nth(1)?;
    Some(v[..v.find('"')?].to_string())
}

impl Server {
    /// Starts `vedette serve` on `dir` with kernel-chosen ports.
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        let listening = dir.join("listening.json");
        let _ = std::fs::remove_file(&listening);
        std::fs::create_dir_all(dir).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("serve.log"))
            .unwrap();
        let child = Command::new(exe())
            .arg("serve")
            .arg("--data-dir")
            .arg(dir)
            .args([
                "--http",
                "127.0.0.1:0",
                "--syslog-udp",
                "127.0.0.1:0",
                "--syslog-tcp",
                "127.0.0.1:0",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting vedette serve");
        let mut srv = Server {
            child: Some(child),
            dir: dir.to_path_buf(),
            http: "0.0.0.0:0".parse().unwrap(),
            tcp: "0.0.0.0:0".parse().unwrap(),
            udp: "0.0.0.0:0".parse().unwrap(),
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        };
        let v: serde_json::Value = wait_until(Duration::from_secs(60), || {
            if let Some(c) = srv.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    panic!("vedette serve exited early ({status}); log:\n{}", srv.log());
                }
            }
            let text = std::fs::read_to_string(&listening).ok()?;
            serde_json::from_str(&text).ok()
        });
        srv.http = v["http"].as_str().unwrap().parse().unwrap();
        srv.tcp = v["syslog_tcp"].as_str().unwrap().parse().unwrap();
        srv.udp = v["syslog_udp"].as_str().unwrap().parse().unwrap();
        srv
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default()
    }

    /// Creates an API token with the CLI while the server runs.
    pub fn token(&self, name: &str, role: &str) -> String {
        let name = format!(
            "{name}-{}",
            std::process::id() as u64 * 1000 + rand_suffix()
        );
        let out = Command::new(exe())
            .args([
                "token",
                "create",
                "--name",
                &name,
                "--role",
                role,
                "--data-dir",
            ])
            .arg(&self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let t = String::from_utf8(out.stdout).unwrap();
        assert_eq!(t.lines().count(), 1, "token create prints the token alone");
        t.trim().to_string()
    }

    /// GET a path; returns status and body.
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut req = self.client.get(format!("http://{}{path}", self.http));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        match req.send() {
            Ok(r) => (r.status().as_u16(), r.text().unwrap_or_default()),
            Err(e) => (0, e.to_string()),
        }
    }

    /// SIGKILL: a crash.
    pub fn kill9(mut self) {
        let mut c = self.child.take().unwrap();
        c.kill().unwrap();
        c.wait().unwrap();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(mut self) -> ExitStatus {
        let mut c = self.child.take().unwrap();
        let st = Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status()
            .unwrap();
        assert!(st.success());
        let start = Instant::now();
        loop {
            if let Some(s) = c.try_wait().unwrap() {
                return s;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = c.kill();
                panic!(
                    "server did not stop within 60s after SIGTERM; log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server, asserting a clean exit.
    pub fn stop(self) {
        let log_dir = self.dir.clone();
        let st = self.terminate();
        assert!(
            st.success(),
            "exit {st:?}; log:\n{}",
            std::fs::read_to_string(log_dir.join("serve.log")).unwrap_or_default()
        );
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
