//! The command line's shape: subcommands, options and their help, declared with clap's
//! derive API. Values are checked here (formats, severities, policy versions), so a typo is
//! a usage error (exit code 2) with clap's suggestion, before anything is read.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use rampart_core::Severity;

/// Rampart checks Kubernetes manifests against hardening rules and the Pod Security
/// Standards.
//
// Help is printed as written, never re-wrapped to the terminal: clap wraps only when its
// `wrap_help` feature is on, which a dependency of the benchmarks turns on in workspace
// builds, so without `term_width = 0` the same binary's help would differ between a
// release build and a test build (and between terminals). A plain comment, because a doc
// comment here would become part of the help.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, propagate_version = true, term_width = 0)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the largest variant (serve's options) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests: files, directories (recursively: .yaml, .yml, .json) or stdin.
    ///
    /// Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 a usage
    /// error, unreadable input, a bad configuration or a parse error (results are still
    /// printed).
    Check(CheckArgs),
    /// List every rule with its severity, family, scope and Pod Security level.
    Rules(RulesArgs),
    /// Print a rule's metadata and documentation.
    Explain(ExplainArgs),
    /// Custom policies (ValidatingAdmissionPolicy): run their test cases.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run the server: the API, the web app, scans of registered clusters.
    Serve(ServeArgs),
    /// Manage users and tokens from a shell, with the server running or not.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run inside a cluster: list what the rules need and deliver it to a Rampart server
    /// when it asks (deploy/agent holds the manifests).
    Agent(AgentArgs),
}

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The Rampart server's URL, as the agent reaches it (https://rampart.example.com).
    #[arg(long, env = "RAMPART_SERVER", value_name = "URL")]
    pub server: String,

    /// The cluster's agent token (from registering it as an agent cluster). Give it in the
    /// environment (a Secret fills it), not on the command line, where `ps` shows it.
    #[arg(
        long,
        env = "RAMPART_AGENT_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        required_unless_present = "token_file"
    )]
    pub token: Option<String>,

    /// A file holding the agent token (a mounted Secret), read at each request, so a new
    /// token is taken up without a restart.
    #[arg(long, env = "RAMPART_AGENT_TOKEN_FILE", value_name = "FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,

    /// Where the Pod's ServiceAccount token and CA are mounted.
    #[arg(long, env = "RAMPART_SERVICE_ACCOUNT_DIR", value_name = "DIR", default_value = rampart::agent::SERVICE_ACCOUNT_DIR)]
    pub service_account_dir: PathBuf,

    /// Time between two requests for instructions (10s, 1m…).
    #[arg(long, env = "RAMPART_POLL_INTERVAL", value_name = "DURATION", default_value = "10s", value_parser = rampart::cron::parse_duration)]
    pub poll_interval: Duration,

    /// The longest wait between two tries when the server cannot be reached.
    #[arg(long, env = "RAMPART_MAX_BACKOFF", value_name = "DURATION", default_value = "5m", value_parser = rampart::cron::parse_duration)]
    pub max_backoff: Duration,

    /// A PEM file of the CA that signed the server's certificate, when the system's roots
    /// do not hold it.
    #[arg(long, env = "RAMPART_SERVER_CA_FILE", value_name = "FILE")]
    pub server_ca_file: Option<PathBuf>,
}

/// Where the server keeps its data, and the settings file of the server's commands.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// A YAML file of settings: the long option names as keys (`listen: 0.0.0.0:8080`,
    /// `database-url: postgres://…`). Options and RAMPART_* variables take precedence.
    #[arg(long, env = "RAMPART_SETTINGS", value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// sqlite://PATH (created with its directory when missing) or postgres://USER@HOST/DATABASE.
    #[arg(long, env = "RAMPART_DATABASE_URL", default_value = rampart::settings::DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "RAMPART_LISTEN", default_value = rampart::settings::DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Directory of the web app's files to serve at / (`cargo xtask dist` builds them into
    /// frontend/dist). Without it, a release build serves the copy it embedded.
    #[arg(long, env = "RAMPART_WEB_ROOT", value_name = "DIR")]
    pub web_root: Option<PathBuf>,

    /// The file holding the key that encrypts cluster credentials (created, mode 0600,
    /// when missing); RAMPART_SECRET_KEY (64 hex characters) takes precedence. Back it up:
    /// without it stored credentials cannot be read.
    #[arg(long, env = "RAMPART_SECRET_KEY_FILE", value_name = "FILE", default_value = rampart::settings::DEFAULT_KEY_FILE)]
    pub secret_key_file: PathBuf,

    /// How often the scheduler looks for due scans and beats the heartbeat of running
    /// ones (30s, 5m…).
    #[arg(long, env = "RAMPART_SCHEDULER_INTERVAL", value_name = "DURATION", default_value = "5s", value_parser = rampart::cron::parse_duration)]
    pub scheduler_interval: Duration,

    /// How long a running scan's heartbeat may be silent before its server counts as
    /// stopped and the scan is retried (at least 3 scheduler intervals).
    #[arg(long, env = "RAMPART_SCAN_LEASE", value_name = "DURATION", default_value = "60s", value_parser = rampart::cron::parse_duration)]
    pub scan_lease: Duration,

    /// Scans this server runs at once; more wait, queued.
    #[arg(long, env = "RAMPART_MAX_CONCURRENT_SCANS", value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrent_scans: u16,
    /// Password checks (logins, password changes) run at once; more wait, and past eight
    /// times this many are refused with 503 [default: the number of cores].
    #[arg(long, env = "RAMPART_MAX_CONCURRENT_LOGINS", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrent_logins: Option<u16>,

    /// Login attempts one client address (an IPv6 /64) may make per minute; more are
    /// refused with 429.
    #[arg(long, env = "RAMPART_LOGINS_PER_ADDRESS", value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub logins_per_address: u32,

    /// How long a client may take to send a request's headers, on a new connection or one
    /// kept alive after an answer (idle longer, it is closed).
    #[arg(long, env = "RAMPART_HEADER_READ_TIMEOUT", value_name = "DURATION", default_value = "15s", value_parser = rampart::cron::parse_duration)]
    pub header_read_timeout: Duration,

    /// How long a request may take until its answer starts (408 past it).
    #[arg(long, env = "RAMPART_REQUEST_TIMEOUT", value_name = "DURATION", default_value = "60s", value_parser = rampart::cron::parse_duration)]
    pub request_timeout: Duration,

    /// The same for snapshot uploads.
    #[arg(long, env = "RAMPART_UPLOAD_TIMEOUT", value_name = "DURATION", default_value = "10m", value_parser = rampart::cron::parse_duration)]
    pub upload_timeout: Duration,

    /// Connections served at once (lowered to fit the open-file limit); a few more are
    /// answered 503, the rest closed.
    #[arg(long, env = "RAMPART_MAX_CONNECTIONS", value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Mebibytes of snapshot uploads held at once, until their scans end; an upload past
    /// it is refused with 503 (at least 64, the largest upload).
    #[arg(long, env = "RAMPART_UPLOAD_MEMORY", value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u32).range(64..))]
    pub upload_memory: u32,

    /// Private address ranges scans and connection tests may reach, comma-separated CIDRs
    /// (10.0.0.0/8,fd00::/8). Without them only public addresses are reached; loopback and
    /// link-local (the cloud metadata address) never are, except with --outbound-lab.
    #[arg(long, env = "RAMPART_OUTBOUND_ALLOW", value_name = "CIDRS", default_value = "",
          value_parser = |text: &str| rampart::outbound::OutboundPolicy::from_settings(text, false).map(|_| text.to_string()))]
    pub outbound_allow: String,

    /// A lab or a laptop only: scans reach any address (loopback, link-local, private)
    /// and send tokens over plain http://.
    #[arg(long, env = "RAMPART_OUTBOUND_LAB")]
    pub outbound_lab: bool,

    /// Reverse proxies (an ingress) in front of the server, comma-separated CIDRs or
    /// addresses: a request from one of them is attributed to the rightmost address of its
    /// X-Forwarded-For that is not a trusted proxy, for the login limits. Without it the
    /// header is ignored and the client is the connection's peer.
    #[arg(long, env = "RAMPART_TRUSTED_PROXIES", value_name = "CIDRS", default_value = "",
          value_parser = |text: &str| rampart::client_address::TrustedProxies::from_settings(text).map(|_| text.to_string()))]
    pub trusted_proxies: String,
    /// The SMTP server email summaries go through: smtp://HOST:PORT (plain),
    /// smtp://HOST:587?tls=required (STARTTLS), smtps://HOST:465 (TLS), with USER:PASSWORD@
    /// before the host to log in. Without it emails stay in the outbox (GET /api/v1/outbox).
    #[arg(long, env = "RAMPART_SMTP_URL", value_name = "URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Where people reach the server, for the links in emails [default: http:// and the
    /// listening address].
    #[arg(long, env = "RAMPART_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// The sender of emails: an address, or 'Name <address>'.
    #[arg(long, env = "RAMPART_MAIL_FROM", value_name = "ADDRESS", default_value = rampart::mail::DEFAULT_FROM)]
    pub mail_from: String,

    /// The OpenID Connect provider's issuer URL, exactly as its tokens name it, to sign in
    /// with single sign-on (the README lists the shapes of common providers' URLs).
    #[arg(long, env = "RAMPART_OIDC_ISSUER", value_name = "URL")]
    pub oidc_issuer: Option<String>,

    /// The client id registered with the provider.
    #[arg(long, env = "RAMPART_OIDC_CLIENT_ID", value_name = "ID")]
    pub oidc_client_id: Option<String>,

    /// A file whose first line is the client secret (RAMPART_OIDC_CLIENT_SECRET, the
    /// secret itself, takes precedence); without either, a public client (PKCE only).
    #[arg(long, env = "RAMPART_OIDC_CLIENT_SECRET_FILE", value_name = "FILE")]
    pub oidc_client_secret_file: Option<PathBuf>,

    /// Scopes to ask for, separated by spaces (openid is always asked for).
    #[arg(long, env = "RAMPART_OIDC_SCOPES", value_name = "SCOPES", default_value = "openid email profile")]
    pub oidc_scopes: String,

    /// The ID token's claim that lists the user's groups.
    #[arg(long, env = "RAMPART_OIDC_GROUPS_CLAIM", value_name = "CLAIM", default_value = "groups")]
    pub oidc_groups_claim: String,

    /// Groups to team roles, applied at each sign-in (a user no longer in a team's groups
    /// leaves the team): GROUP=TEAM:ROLE separated by commas, such as
    /// `k8s-admins=platform:admin,k8s-devs=platform:editor`.
    #[arg(long, env = "RAMPART_OIDC_GROUP_MAP", value_name = "MAP", default_value = "",
          value_parser = rampart::oidc::GroupMap::parse)]
    pub oidc_group_map: rampart::oidc::GroupMap,

    /// Whether people may log in with a password; false leaves single sign-on and API
    /// tokens (it needs --oidc-issuer).
    #[arg(long, env = "RAMPART_PASSWORD_LOGIN", value_name = "BOOL", default_value_t = true,
          action = clap::ArgAction::Set)]
    pub password_login: bool,

    /// Whether rescans skip the engine for objects unchanged since the cluster's last
    /// complete scan (their stored findings stay as they are); false checks every object.
    #[arg(long, env = "RAMPART_SKIP_UNCHANGED_OBJECTS", value_name = "BOOL", default_value_t = true,
          action = clap::ArgAction::Set)]
    pub skip_unchanged_objects: bool,

    /// Seconds between the mailer's rounds (due digests, new alerts, sending).
    #[arg(long, env = "RAMPART_MAIL_INTERVAL", value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub mail_interval: u64,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user and make them a member of a team (created when missing).
    CreateUser(CreateUserArgs),
    /// Create an API token for a user and print it; it is shown only this once.
    CreateToken(CreateTokenArgs),
}

#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// The user's email, their login.
    pub email: String,

    /// A global admin (manages users and teams); also the team's admin.
    #[arg(long)]
    pub admin: bool,

    /// Read the password from the first line of stdin (without it the user logs in with
    /// API tokens only).
    #[arg(long)]
    pub password_stdin: bool,

    /// The team to join.
    #[arg(long, default_value = "default")]
    pub team: String,

    /// The role in that team [default: admin with --admin, else editor].
    #[arg(long, value_parser = ["viewer", "editor", "admin"])]
    pub role: Option<String>,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct CreateTokenArgs {
    /// The user's email.
    pub email: String,

    /// What the token is for (unique per user), such as "ci".
    #[arg(long)]
    pub name: String,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("fixing").multiple(true)))]
pub struct CheckArgs {
    /// Files or directories to check; `-` reads stdin (the default when stdin is piped).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub output: Format,

    /// Exit with code 1 when a finding (not exempted) is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Threshold::High)]
    pub fail_on: Threshold,

    /// Configuration file [default: ./rampart.yaml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Pod Security Standards version to check against: v1.N or latest [default: the
    /// configuration's pssVersion, else the newest].
    #[arg(long, value_name = "v1.N", value_parser = parse_pss_version)]
    pub pss_version: Option<u32>,

    /// Kubernetes version the manifests are meant for, v1.N or latest: which API versions
    /// are deprecated or removed [default: the configuration's kubeVersion, else the newest].
    #[arg(long, value_name = "v1.N", value_parser = parse_kube_version)]
    pub kube_version: Option<String>,

    /// The manifests are complete: rules that look for related objects (a NetworkPolicy
    /// for a namespace, a ServiceAccount) may conclude they are missing.
    #[arg(long)]
    pub complete: bool,

    /// Print the effective configuration (the file's settings over the defaults) and exit.
    #[arg(long)]
    pub print_config: bool,

    /// Apply the safe fixes: rewrite the files in place (stdin: print the fixed text to
    /// stdout, the report to stderr), then report what remains.
    #[arg(long, group = "fixing")]
    pub fix: bool,

    /// Print the fixes as a unified diff instead of writing them; exit code 1 when there is
    /// something to change, 0 otherwise.
    #[arg(long, group = "fixing")]
    pub diff: bool,

    /// With --fix or --diff: apply the unsafe fixes too (they may change what the workload
    /// does; each rule's documentation says how, under "Fix safety").
    #[arg(long, requires = "fixing")]
    pub unsafe_fixes: bool,

    /// Custom policies to apply: files or directories of ValidatingAdmissionPolicy objects,
    /// their bindings and params (repeat the option, or list them in rampart.yaml's
    /// `policies:`). Their findings have rule ids `vap/<policy name>`.
    #[arg(long = "policy", value_name = "PATH")]
    pub policies: Vec<PathBuf>,

    /// Apply the policies and bindings found in the checked manifests too (by default they
    /// are checked as objects, not applied).
    #[arg(long)]
    pub policies_from_input: bool,

    /// Print a compliance view instead of the findings: each control of the framework
    /// (cis, nsa, pss or layers) with pass, fail or not assessed; `-o json` prints it as
    /// JSON. The exit code is the same as without it.
    #[arg(long, value_name = "FRAMEWORK", value_parser = parse_framework)]
    pub framework: Option<rampart_core::compliance::Framework>,

    /// Evaluate a policy that has no binding as if bound with `validationActions: [Deny]`
    /// (without a binding a policy does nothing in a cluster, and is not evaluated).
    #[arg(long)]
    pub unbound_policies: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the test cases of the policies in a directory: every `kind: PolicyTest` document
    /// of its YAML files (see the README) against the policies, bindings and params beside
    /// them. Exit code 0 when every case passes, 1 when one fails, 2 on an error.
    Test(PolicyTestArgs),
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// The directory (or file) holding the policies and their PolicyTest documents.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Compiler-style diagnostics for people.
    Text,
    /// The report as JSON (a stable contract, "version": 1).
    Json,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
    /// JUnit XML for CI test reports.
    Junit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Threshold {
    Critical,
    High,
    Medium,
    Low,
    Info,
    /// Never exit with code 1 because of findings.
    Never,
}

impl Threshold {
    /// The lowest severity that fails the check, or `None` for never.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Threshold::Critical => Some(Severity::Critical),
            Threshold::High => Some(Severity::High),
            Threshold::Medium => Some(Severity::Medium),
            Threshold::Low => Some(Severity::Low),
            Threshold::Info => Some(Severity::Info),
            Threshold::Never => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ListFormat::Text)]
    pub output: ListFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Text,
    /// A JSON array with every rule's metadata.
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id, such as pss-privileged (`rampart rules` lists them).
    #[arg(value_name = "ID")]
    pub id: String,
}

fn parse_framework(text: &str) -> Result<rampart_core::compliance::Framework, String> {
    rampart_core::compliance::Framework::parse(text)
        .ok_or_else(|| format!("unknown framework '{text}'; expected cis, nsa, pss or layers"))
}

fn parse_pss_version(text: &str) -> Result<u32, String> {
    rampart_core::pss::parse_version(text)
}

fn parse_kube_version(text: &str) -> Result<String, String> {
    rampart_core::config::parse_kube_version(text).map(|_| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_and_values() {
        let cli = Cli::try_parse_from(["rampart", "check", "-"]).unwrap();
        let Command::Check(args) = cli.command else { panic!("not check") };
        assert_eq!(args.output, Format::Text);
        assert_eq!(args.fail_on, Threshold::High);
        assert_eq!(args.paths, [PathBuf::from("-")]);
        assert_eq!(args.pss_version, None);

        let cli =
            Cli::try_parse_from(["rampart", "check", "--pss-version", "v1.25", "-o", "sarif", "--fail-on", "never"])
                .unwrap();
        let Command::Check(args) = cli.command else { panic!("not check") };
        assert_eq!(args.pss_version, Some(25));
        assert_eq!(args.output, Format::Sarif);
        assert_eq!(args.fail_on.severity(), None);

        let cli = Cli::try_parse_from(["rampart", "check", "--fix", "--unsafe-fixes", "a.yaml"]).unwrap();
        let Command::Check(args) = cli.command else { panic!("not check") };
        assert!(args.fix && args.unsafe_fixes && !args.diff);
        let error = Cli::try_parse_from(["rampart", "check", "--unsafe-fixes", "a.yaml"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);

        let cli = Cli::try_parse_from(["rampart", "serve", "--listen", "127.0.0.1:0"]).unwrap();
        let Command::Serve(args) = cli.command else { panic!("not serve") };
        assert_eq!(args.listen.port(), 0);

        let error = Cli::try_parse_from(["rampart", "check", "--pss-version", "1.25"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("expected v1.N"), "{error}");
    }
}
