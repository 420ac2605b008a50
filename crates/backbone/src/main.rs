//! `backbone`: the server and its command line.
//!
//! `cargo run --release` serves http://127.0.0.1:8080 with SQLite under `./data/`,
//! migrates, loads the demo into an empty database and prints a one-time link to
//! create the first administrator. See `backbone --help`.

mod bench;
mod bench_cases;
mod bench_funding;
mod bench_measurement;
mod bench_meetings;
mod cases;
mod funding_transitions;
mod giving360;
mod mail;
mod measurement;
mod meetings_export;
mod server;

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use store::Store;

/// mimalloc: the server allocates many short-lived strings per request, and glibc's
/// allocator showed up at ~14% of CPU under load (`backbone bench`, perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "backbone",
    version,
    about = "Backbone: the open platform for collective impact partnerships"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (default: SQLite in the data folder).
    #[arg(long, env = "BACKBONE_DATABASE_URL", global = true)]
    database: Option<String>,
    /// Folder for the embedded SQLite database.
    #[arg(long, env = "BACKBONE_DATA_DIR", default_value = "data", global = true)]
    data_dir: String,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, env = "BACKBONE_LOG_JSON", global = true)]
    log_json: bool,
}

impl DbArgs {
    fn url(&self) -> String {
        self.database.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}/backbone.db",
                self.data_dir.trim_end_matches('/')
            )
        })
    }
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "BACKBONE_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    addr: String,
    /// Do not load the demo into an empty database.
    #[arg(long, env = "BACKBONE_NO_DEMO", global = true)]
    no_demo: bool,
    /// Mark cookies Secure (when served over TLS).
    #[arg(long, env = "BACKBONE_SECURE_COOKIES", global = true)]
    secure_cookies: bool,
    /// Behind a reverse proxy: take the client address from X-Forwarded-For.
    #[arg(long, env = "BACKBONE_TRUST_PROXY", global = true)]
    trust_proxy: bool,
    /// Serve /metrics to requests with `Authorization: Bearer TOKEN` (else 404).
    #[arg(
        long,
        env = "BACKBONE_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    metrics_token: Option<String>,
    /// Serve /metrics, without a token, on this address of its own (HOST:PORT).
    #[arg(long, env = "BACKBONE_METRICS_ADDR", global = true)]
    metrics_addr: Option<String>,
    /// The address people reach Backbone at (https://backbone.example.org), for links in emails.
    #[arg(long, env = "BACKBONE_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Send notifications through this SMTP server: smtp://HOST:PORT (plain),
    /// smtp://USER:PASS@HOST?tls=required (STARTTLS) or smtps://USER:PASS@HOST (TLS).
    /// Without it, messages are written as .eml files to mail/outbox/ in the data folder
    /// (beside the SQLite database).
    #[arg(long, env = "BACKBONE_SMTP_URL", global = true, hide_env_values = true)]
    smtp_url: Option<String>,
    /// The From address of notifications.
    #[arg(
        long,
        env = "BACKBONE_MAIL_FROM",
        default_value = "Backbone <backbone@localhost>",
        global = true
    )]
    mail_from: String,
    /// How often the outbox is looked at, in seconds.
    #[arg(
        long,
        env = "BACKBONE_MAIL_INTERVAL_SECONDS",
        default_value_t = 30,
        global = true
    )]
    mail_interval_seconds: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Load the demo initiatives into an empty database.
    Demo,
    /// Write a consistent copy of the SQLite database to PATH while it runs.
    Backup { path: String },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import measurement files (CSV or XLSX).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export open data.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Measurement reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Measure the server under load (see the README).
    Bench(bench::BenchArgs),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Platform administrator.
        #[arg(long)]
        admin: bool,
        /// Grant a role in an initiative: SLUG:ROLE (repeatable), e.g. kiryat-malachi:coordinator.
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// Grant roles to an existing account (each flag repeatable).
    Grant {
        #[arg(long)]
        email: String,
        /// A role in an initiative: SLUG:ROLE, e.g. kiryat-malachi:partner.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Lead of a network (reads all its initiatives): the network's slug.
        #[arg(long = "network-lead")]
        network_leads: Vec<String>,
    },
    /// Disable an account: it cannot sign in, and its sessions and API tokens end at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again (its old sessions and tokens stay ended).
    Enable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API token for the account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "command line")]
        name: String,
        /// Refuse the token after this many days (default: it does not expire).
        #[arg(long)]
        expires_days: Option<i64>,
    },
    /// Revoke a token by id (any account's), or with --email and --all every token of an account.
    Revoke {
        /// The token's id (as on the account page).
        #[arg(long, conflicts_with_all = ["email", "all"])]
        id: Option<i64>,
        #[arg(long, requires = "all")]
        email: Option<String>,
        /// With --email: every live token of the account.
        #[arg(long, requires = "email")]
        all: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Define or update indicators from a file with the columns
    /// code,name,unit,aggregation,polarity,frequency (and optionally
    /// numerator,denominator,factor,disaggregations,targets, …); a row for an
    /// existing code updates that indicator. All rows or none.
    Indicators {
        file: String,
        #[arg(long)]
        initiative: String,
    },
    /// Import values from a file with the columns indicator,period,value (and
    /// optionally partner, comment and one column per disaggregation
    /// category). Every row is checked first; then all are written, or none.
    Values {
        file: String,
        #[arg(long)]
        initiative: String,
    },
    /// Import an HMIS CSV FY2024 export (a folder or a zip file) into a
    /// by-name list (created if it does not exist). Every file is checked
    /// first; errors are listed by file, row and column, and nothing is
    /// written unless the whole export can be. Re-importing the same export
    /// changes nothing.
    Hmis {
        path: String,
        #[arg(long)]
        initiative: String,
        /// The list's name.
        #[arg(long)]
        list: String,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// A by-name list's monthly reports (Built for Zero), one row per month.
    Monthly {
        #[arg(long)]
        initiative: String,
        /// The list's name.
        #[arg(long)]
        list: String,
        /// all, veterans, chronic, youth or families.
        #[arg(long, default_value = "all")]
        population: String,
        /// First month, YYYY-MM.
        #[arg(long)]
        from: String,
        /// Last month, YYYY-MM.
        #[arg(long)]
        to: String,
        /// Count only events recorded by this time (RFC 3339; default: now).
        #[arg(long = "cut-off")]
        cut_off: Option<String>,
        /// Output format: csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
    },
    /// One indicator's totals by period with target, variance to target and
    /// outlier flag, to standard output.
    Indicator {
        #[arg(long)]
        initiative: String,
        /// The indicator's code.
        #[arg(long)]
        indicator: String,
        /// First period (default: the first with a total).
        #[arg(long)]
        from: Option<String>,
        /// Last period (default: the last with a total).
        #[arg(long)]
        to: Option<String>,
        /// Output format: json or csv.
        #[arg(long, default_value = "json")]
        format: String,
    },
    /// One indicator's value at every initiative of a network, and the
    /// network's total, for one period, to standard output.
    Rollup {
        /// The network's slug.
        #[arg(long)]
        network: String,
        /// The indicator's code (matched across the network's initiatives).
        #[arg(long)]
        indicator: String,
        #[arg(long)]
        period: String,
        /// Output format: json.
        #[arg(long, default_value = "json")]
        format: String,
    },
    /// Each cost item's planned cost by year, each funder's planned amount
    /// (minor units) and the public budget's share, to standard output.
    Transitions {
        #[arg(long)]
        initiative: String,
        /// Output format: json.
        #[arg(long, default_value = "json")]
        format: String,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Stored values (one row per value), to standard output: CSV in the
    /// import's own columns, or a JSON array.
    Values {
        #[arg(long)]
        initiative: String,
        /// Only this indicator's values (its code).
        #[arg(long)]
        indicator: Option<String>,
        /// Output format: csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
    },
    /// The community investment fund's awarded grants as a 360Giving 1.4
    /// JSON package, to standard output.
    #[command(name = "360giving")]
    Giving360 {
        #[arg(long)]
        initiative: String,
        /// Only this fund call's grants (its id, as in its page's address).
        #[arg(long)]
        fund: Option<i64>,
    },
    /// A body's calendar feed as iCalendar (RFC 5545), to standard output: the
    /// same text its subscribable address serves.
    Ical {
        #[arg(long)]
        initiative: String,
        /// The body's name.
        #[arg(long)]
        body: String,
    },
    /// A body's meetings, one per occurrence (series expanded, exceptions
    /// applied, cancelled ones included and marked), to standard output.
    Meetings {
        #[arg(long)]
        initiative: String,
        /// The body's name.
        #[arg(long)]
        body: String,
        /// Output format: json or csv.
        #[arg(long, default_value = "json")]
        format: String,
    },
    /// The services directory as Open Referral HSDS 3.0 JSON, to standard output.
    Hsds {
        #[arg(long)]
        initiative: String,
    },
    /// A round's systems map (nodes with level, driving power, dependence,
    /// quadrant and votes; the answers members gave), to standard output.
    SystemsMap {
        #[arg(long)]
        initiative: String,
        /// The round's id (as in its page's address).
        #[arg(long)]
        round: i64,
        /// Output format: json.
        #[arg(long, default_value = "json")]
        format: String,
    },
}

fn init_logs(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("BACKBONE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json { b.json().init() } else { b.init() }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.db.log_json);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

async fn open(db: &DbArgs) -> AnyResult<Store> {
    let store = Store::connect(&db.url()).await?;
    store.migrate().await?;
    Ok(store)
}

/// Open a database that must exist: commands that only read data (backup,
/// export, token creation) refuse, naming the path, rather than create one.
async fn open_existing(db: &DbArgs) -> AnyResult<Store> {
    let store = Store::connect_existing(&db.url()).await?;
    store.migrate().await?;
    Ok(store)
}

fn describe(e: store::StoreError) -> String {
    match e {
        store::StoreError::Invalid(f) => {
            f.0.values()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        }
        other => other.to_string(),
    }
}

/// `--role SLUG:ROLE` values as (initiative id, role), refused by name when wrong.
async fn parse_roles(
    store: &Store,
    roles: &[String],
) -> AnyResult<Vec<(i64, domain::access::Role)>> {
    let mut out = vec![];
    for r in roles {
        let (slug, role) = r
            .split_once(':')
            .ok_or_else(|| format!("--role {r}: expected SLUG:ROLE"))?;
        let role = domain::access::Role::parse(role).ok_or_else(|| {
            let known: Vec<&str> = domain::access::Role::ALL
                .iter()
                .map(|r| r.as_str())
                .collect();
            format!(
                "--role {r}: unknown role {role} (one of {})",
                known.join(", ")
            )
        })?;
        let i = store
            .initiative_by_slug(slug)
            .await
            .map_err(|_| format!("--role {r}: no initiative {slug}"))?;
        out.push((i.id, role));
    }
    Ok(out)
}

/// The account with this email, disabled or not; an error naming `--email` otherwise.
async fn account(store: &Store, email: &str) -> AnyResult<(store::accounts::User, bool)> {
    let found = store.user_by_email_any(email).await.map_err(describe)?;
    let (u, disabled) = found.ok_or("--email: no account with this address")?;
    Ok((u, disabled.is_some()))
}

async fn run(cli: Cli) -> AnyResult {
    let command = cli.command.unwrap_or(Command::Serve);
    match command {
        Command::Serve => serve(&cli.db, cli.serve).await,
        Command::Migrate => {
            let store = Store::connect(&cli.db.url()).await?;
            let applied = store.migrate().await?;
            println!(
                "{} migration(s) applied; schema is at {}",
                applied.len(),
                store::migrations::known().last().unwrap_or(&"(none)")
            );
            Ok(())
        }
        Command::Demo => {
            let store = open(&cli.db).await?;
            if store.load_demo().await.map_err(describe)? {
                println!("demo loaded: /p/kiryat-malachi/ and /p/riverside-zero/");
            } else {
                println!("the database already holds initiatives; the demo was not loaded");
            }
            Ok(())
        }
        Command::Backup { path } => {
            let store = Store::connect_existing(&cli.db.url()).await?;
            if std::path::Path::new(&path).exists() {
                return Err(format!("{path} exists; choose a new file").into());
            }
            store.backup_sqlite(&path).await.map_err(describe)?;
            println!("backup written to {path}");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    admin,
                    roles,
                },
        } => {
            let store = open(&cli.db).await?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            let grants = parse_roles(&store, &roles).await?;
            let user = store
                .create_user(&email, &name, Some(password), admin)
                .await
                .map_err(describe)?;
            for (i, role) in grants {
                store
                    .grant_role(None, user.id, i, role)
                    .await
                    .map_err(describe)?;
            }
            println!("user {} created (id {})", user.email, user.id);
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Grant {
                    email,
                    roles,
                    network_leads,
                },
        } => {
            let store = open_existing(&cli.db).await?;
            if roles.is_empty() && network_leads.is_empty() {
                return Err("give at least one --role SLUG:ROLE or --network-lead NETWORK".into());
            }
            let (user, _) = account(&store, &email).await?;
            let grants = parse_roles(&store, &roles).await?;
            let mut networks = vec![];
            for slug in &network_leads {
                networks.push(
                    store
                        .network_id_by_slug(slug)
                        .await
                        .map_err(|_| format!("--network-lead: no network {slug}"))?,
                );
            }
            for (i, role) in grants {
                store
                    .grant_role(None, user.id, i, role)
                    .await
                    .map_err(describe)?;
            }
            for n in networks {
                store
                    .grant_network_lead(user.id, n)
                    .await
                    .map_err(describe)?;
            }
            println!(
                "granted to user {}: {} role(s), {} network lead(s)",
                user.id,
                roles.len(),
                network_leads.len()
            );
            Ok(())
        }
        Command::User {
            command: UserCommand::Disable { email },
        } => {
            let store = open_existing(&cli.db).await?;
            let (user, _) = account(&store, &email).await?;
            store
                .set_disabled(None, user.id, true)
                .await
                .map_err(describe)?;
            println!(
                "user {} disabled; their sessions and API tokens are ended",
                user.id
            );
            Ok(())
        }
        Command::User {
            command: UserCommand::Enable { email },
        } => {
            let store = open_existing(&cli.db).await?;
            let (user, _) = account(&store, &email).await?;
            store
                .set_disabled(None, user.id, false)
                .await
                .map_err(describe)?;
            println!("user {} enabled", user.id);
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    email,
                    name,
                    expires_days,
                },
        } => {
            let store = open_existing(&cli.db).await?;
            let expires_at = match expires_days {
                Some(d) if !(1..=3650).contains(&d) => {
                    return Err("--expires-days must be between 1 and 3650".into());
                }
                Some(d) => Some(store::now().get() + chrono::Duration::days(d)),
                None => None,
            };
            let (user, disabled) = account(&store, &email).await?;
            if disabled {
                return Err("--email: this account is disabled".into());
            }
            let (_, secret) = store
                .create_api_token_until(user.id, &name, expires_at)
                .await
                .map_err(describe)?;
            println!("{secret}");
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Revoke { id, email, all },
        } => {
            let store = open_existing(&cli.db).await?;
            match (id, email) {
                (Some(id), _) => {
                    store
                        .revoke_api_token_by_id(id)
                        .await
                        .map_err(|e| match e {
                            store::StoreError::NotFound => {
                                format!("--id: no live token {id}")
                            }
                            other => describe(other),
                        })?;
                    println!("token {id} revoked");
                }
                (None, Some(email)) if all => {
                    let (user, _) = account(&store, &email).await?;
                    let n = store
                        .revoke_all_api_tokens(None, user.id)
                        .await
                        .map_err(describe)?;
                    println!("{n} token(s) of user {} revoked", user.id);
                }
                _ => return Err("give --id ID, or --email E --all".into()),
            }
            Ok(())
        }
        Command::Export {
            command: ExportCommand::Hsds { initiative },
        } => {
            let store = open_existing(&cli.db).await?;
            let i = store
                .initiative_by_slug(&initiative)
                .await
                .map_err(|_| format!("no initiative {initiative}"))?;
            let opts = store::records::ListOptions {
                include_archived: true,
                limit: u64::MAX >> 1,
                offset: 0,
            };
            use domain::partnership::{Location, Organization, Service};
            let orgs = store
                .list::<Organization>(Some(i.id), opts)
                .await
                .map_err(describe)?;
            let locations = store
                .list::<Location>(Some(i.id), opts)
                .await
                .map_err(describe)?;
            let services = store
                .list::<Service>(Some(i.id), opts)
                .await
                .map_err(describe)?;
            let doc = interop::hsds::export(i.id, &orgs, &locations, &services);
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
        Command::Export {
            command:
                ExportCommand::SystemsMap {
                    initiative,
                    round,
                    format,
                },
        } => {
            if format != "json" {
                return Err(format!("--format {format}: the only format is json").into());
            }
            let store = open_existing(&cli.db).await?;
            let i = store
                .initiative_by_slug(&initiative)
                .await
                .map_err(|_| format!("no initiative {initiative}"))?;
            // Name a round of another initiative as such rather than as missing.
            match store.get::<domain::agenda::Round>(None, round).await {
                Ok(r) if r.initiative_id == Some(i.id) => {}
                Ok(_) => {
                    return Err(format!(
                        "--round {round}: the round belongs to another initiative, not {initiative}"
                    )
                    .into());
                }
                Err(store::StoreError::NotFound) => {
                    return Err(format!("--round {round}: no such round in {initiative}").into());
                }
                Err(e) => return Err(describe(e).into()),
            }
            let data = web::agenda::RoundData::load(&store, i.id, round)
                .await
                .map_err(|e| e.message())?;
            println!("{}", serde_json::to_string_pretty(&data.export())?);
            Ok(())
        }
        Command::Import {
            command:
                ImportCommand::Hmis {
                    path,
                    initiative,
                    list,
                },
        } => cases::import_hmis(&cli.db, &path, &initiative, &list).await,
        Command::Import { command } => measurement::import(&cli.db, command).await,
        Command::Export {
            command:
                ExportCommand::Values {
                    initiative,
                    indicator,
                    format,
                },
        } => measurement::export_values(&cli.db, &initiative, indicator.as_deref(), &format).await,
        Command::Export {
            command: ExportCommand::Giving360 { initiative, fund },
        } => giving360::export(&cli.db, &initiative, fund).await,
        Command::Export {
            command: ExportCommand::Ical { initiative, body },
        } => meetings_export::ical(&cli.db, &initiative, &body).await,
        Command::Export {
            command:
                ExportCommand::Meetings {
                    initiative,
                    body,
                    format,
                },
        } => meetings_export::meetings(&cli.db, &initiative, &body, &format).await,
        Command::Report {
            command:
                ReportCommand::Monthly {
                    initiative,
                    list,
                    population,
                    from,
                    to,
                    cut_off,
                    format,
                },
        } => {
            let q = cases::MonthlyArgs {
                initiative,
                list,
                population,
                from,
                to,
                cut_off,
                format,
            };
            cases::report_monthly(&cli.db, q).await
        }
        Command::Report { command } => measurement::report(&cli.db, command).await,
        Command::Bench(args) => bench::run(args).await,
    }
}

async fn serve(db: &DbArgs, args: ServeArgs) -> AnyResult {
    let started = std::time::Instant::now();
    let url = db.url();
    let store = open(db).await?;
    if !args.no_demo && store.load_demo().await.map_err(describe)? {
        tracing::info!("demo initiatives loaded");
    }
    let addr: SocketAddr = args
        .addr
        .parse()
        .map_err(|_| format!("--addr {} is not HOST:PORT", args.addr))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    if store.user_count().await? == 0 {
        let secret = store.create_setup_link().await.map_err(describe)?;
        println!(
            "No account exists yet. Open this one-time link to create the first administrator:"
        );
        println!("  http://{local}/invite/{secret}");
    }
    tokio::spawn(prune_every_hour(store.clone()));
    let public_url = args
        .public_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .map(|u| u.trim().trim_end_matches('/').to_string());
    let mailer = mail::Settings {
        smtp_url: args.smtp_url.clone().filter(|u| !u.trim().is_empty()),
        from: args.mail_from.clone(),
        folder: mail::folder(&url, &db.data_dir),
        interval: std::time::Duration::from_secs(args.mail_interval_seconds.clamp(1, 3600)),
        base_url: public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}")),
    }
    .start(store.clone())?;
    let state = web::AppState::new(
        store,
        web::Config {
            secure_cookies: args.secure_cookies,
            trust_proxy: args.trust_proxy,
            metrics_token: args.metrics_token.clone().filter(|t| !t.is_empty()),
            public_url,
        },
    );
    let metrics = match &args.metrics_addr {
        Some(a) => {
            let addr: SocketAddr = a
                .parse()
                .map_err(|_| format!("--metrics-addr {a} is not HOST:PORT"))?;
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?;
            Some(l)
        }
        None => None,
    };
    // Requests (bodies included) must be answered within the deadline; a body
    // that stalls between chunks fails sooner.
    let app = web::router(state.clone())
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            server::HEADER_TIMEOUT,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            server::REQUEST_TIMEOUT,
        ));
    tracing::info!(addr = %local, database = %store::redact_url(&url), ready_ms = started.elapsed().as_millis() as u64, "Backbone is serving");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let signalled = shutdown();
    tokio::spawn(async move {
        signalled.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    if let Some(a) = metrics.as_ref().and_then(|l| l.local_addr().ok()) {
        println!("Metrics on http://{a}/metrics");
    }
    println!("Backbone is serving on http://{local}");
    let metrics_task = metrics.map(|l| {
        tokio::spawn(server::serve(
            l,
            web::metrics_router(state),
            stopped(stop_rx.clone()),
        ))
    });
    let mail_task = tokio::spawn(mailer.run(stop_rx.clone()));
    server::serve(listener, app, stopped(stop_rx)).await;
    if let Some(t) = metrics_task {
        let _ = t.await;
    }
    // The sender finishes the message in flight, then stops.
    let _ = mail_task.await;
    tracing::info!("stopped");
    Ok(())
}

/// Delete expired sessions, spent throttle counters and long-dead invitations:
/// now, then every hour. Each run is a few indexed DELETEs; with several
/// processes each prunes, which is harmless.
async fn prune_every_hour(store: Store) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match store.prune(store::now().get()).await {
            Ok(p) => tracing::info!(
                sessions = p.sessions,
                login_failures = p.login_failures,
                throttle_counters = p.throttle_counters,
                invitations = p.invitations,
                "pruned"
            ),
            Err(e) => tracing::warn!(error = %e, "pruning failed"),
        }
    }
}

/// SIGTERM or Ctrl-C: stop accepting, finish requests in flight, exit.
///
/// The handlers are installed when this is called, not when the future is first
/// polled: a signal that arrives as soon as the server answers must not find the
/// default action (ending the process at once) still in place.
fn shutdown() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut term, mut int) = handlers;
            let recv = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = recv(term.take()) => {},
                _ = recv(int.take()) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}
