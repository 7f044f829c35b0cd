//! `dataip demo`: the registry to try out. The service runs as `serve` does
//! but on a database of its own (the configured name + `_demo`, so it never
//! touches the configured one), with a short announcement period, a worker
//! that looks every second, and a demo admin and reviewer whose credentials
//! it prints with where to sign in and the next commands to try.

use std::sync::Arc;

use crate::{
    clock::SystemClock,
    config::{Config, Environment, Secret},
    db,
    domain::{ExactDuration, IsoDuration, Role, StaffRole},
    services::{self, accounts::staff::NewStaff},
    startup::{Application, shutdown_on_signal},
};

// The arguments of `dataip demo` (no doc comment: the subcommand's own says what it does).
#[derive(clap::Args)]
pub struct Args {
    /// The announcement period of the demo (ISO 8601).
    #[arg(long, default_value = "PT30S", value_name = "DURATION")]
    pub announcement_period: String,
    /// Drop the demo database and exit.
    #[arg(long)]
    pub reset: bool,
}

impl Args {
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        demo(config, self.announcement_period.parse()?, self.reset).await
    }
}

/// The demo's staff: e-mail, password, name, role. Fixed, so that the
/// walk-through script and a person reading the README can use them.
pub const STAFF: [(&str, &str, &str, StaffRole); 2] = [
    ("admin@demo.dataip.example", "demo admin password", "演示管理员", StaffRole::Admin),
    ("reviewer@demo.dataip.example", "demo reviewer password", "演示审查员", StaffRole::Reviewer),
];

pub async fn demo(mut config: Config, announcement_period: IsoDuration, reset: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.environment != Environment::Production,
        "dataip demo does not run with DATAIP_ENV=production: it is for trying the registry out"
    );
    let _postgres = db::embedded::start_if_needed(&mut config).await?;
    let configured = db::database_name(config.database.url.expose())?;
    let name = format!("{configured}_demo");
    let url = db::with_database(config.database.url.expose(), &name);
    if reset {
        db::drop_database(&url).await?;
        println!("dropped the demo database {name}");
        return Ok(());
    }
    anyhow::ensure!(
        announcement_period.exact().is_some_and(|d| !d.is_zero()),
        "--announcement-period must be a positive exact duration, e.g. PT30S"
    );
    config.database.url = Secret::new(url);
    config.workflow.announcement_period = announcement_period;
    config.worker.interval = ExactDuration::seconds(1);
    let app = Application::build(config, Arc::new(SystemClock)).await?;
    let state = app.state().clone();
    for (email, password, name, role) in STAFF {
        let staff = NewStaff { email: email.into(), password: password.into(), display_name: name.into(), role };
        match services::accounts::staff::add(&state, services::audit::AuditActor::Cli, staff).await {
            // Already there from an earlier run of the demo.
            Ok(_) | Err(services::Error::Conflict(_)) => {}
            Err(error) => anyhow::bail!("could not add the demo {}: {error}", Role::from(role).as_str()),
        }
    }
    let base = format!("http://{}:{}", state.config.server.addr.ip(), app.port());
    println!("{}", banner(&base, &name, announcement_period));
    app.run_until_stopped(shutdown_on_signal()).await
}

fn banner(base: &str, database: &str, period: IsoDuration) -> String {
    let staff: Vec<String> = STAFF
        .iter()
        .map(|(email, password, _, role)| {
            format!("  {:<9} {email:<30} password: {password}", Role::from(*role).as_str())
        })
        .collect();
    let next = [
        (
            "examples/walkthrough.sh".to_owned(),
            "sign up, get verified, apply, review, object, register, check: about a minute",
        ),
        (format!("curl {base}/readyz"), "is it up?"),
        (format!("{base}/signup"), "the workbench: sign up as an organization or a person, in a browser"),
        (format!("{base}/login"), "the workbench: sign in (staff too) and do the procedure in pages"),
        (format!("{base}/"), "the public portal: announcements, certificates, verification"),
        (format!("{base}/docs"), "the API, to try in a browser"),
        ("dataip demo --reset".to_owned(), "later: drop the demo database (stop this one first)"),
    ];
    let width = next.iter().map(|(command, _)| command.len()).max().unwrap_or(0);
    let next: Vec<String> = next.iter().map(|(command, what)| format!("  {command:<width$}  # {what}")).collect();
    format!(
        "\ndataip demo is running at {base} (database {database}; announcements last {period})\n\n{}\n\n\
         Next, in another terminal:\n{}\n\nStop with Ctrl-C.\n",
        staff.join("\n"),
        next.join("\n")
    )
}
