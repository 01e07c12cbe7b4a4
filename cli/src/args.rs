//! The command line: every command, its options and its help text.

use crate::exit;
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use std::ffi::OsString;

/// Log in to CARTO once; then use the account from the shell, GDAL, QGIS and scripts without
/// typing the API key on a command line.
///
/// Credentials are shared with the cartoauth library and its C, R and Julia bindings, and with
/// Python CARTOframes: the files of the config directory (cartocreds.json, creds.json,
/// profiles/NAME.json) and the CARTO_* environment variables.
#[derive(Debug, Parser)]
#[command(name = "cartoauth", version, after_help = exit::help(), propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Login(Login),
    Status(Status),
    Logout(Logout),
    Env(Env),
    Exec(Exec),
    Sql(Sql),
    Profiles(Profiles),
    Move(Move),
    Token(Token),
    Completions(Completions),
    #[command(hide = true)]
    ManPages(ManPages),
}

/// Which stored credentials a command is about.
#[derive(Debug, Args)]
pub struct ProfileArg {
    /// A named profile (<config dir>/profiles/NAME.json). Without it: CARTO_PROFILE, else
    /// CARTO_CREDENTIALS_FILE, else the default file (cartocreds.json, or CARTOframes'
    /// creds.json).
    #[arg(long, short = 'p', value_name = "NAME", add = ArgValueCandidates::new(profile_names))]
    pub profile: Option<String>,
}

/// Which credentials a command uses.
#[derive(Debug, Args)]
pub struct UseArg {
    /// Use this profile. Without it, credentials are resolved as the library does: CARTO_USERNAME
    /// / CARTO_BASE_URL / CARTO_API_KEY, then CARTO_CREDENTIALS_FILE, then CARTO_PROFILE, then
    /// the default files.
    #[arg(long, short = 'p', value_name = "NAME", add = ArgValueCandidates::new(profile_names))]
    pub profile: Option<String>,
}

/// Check an API key against the account and save it (0600, written atomically).
///
/// Asks for what is missing. The key is read from the terminal without echo, or from standard
/// input with --with-key; never from the command line. Nothing is saved unless CARTO accepts
/// the key (/api/v3/me, or the SQL API for keys that cannot read it).
///
/// Before asking for the key, login checks the account, asks before replacing stored
/// credentials (--replace without a terminal), and refuses to save where an earlier source
/// of the resolution order would hide them, e.g. creds.json while cartocreds.json exists
/// (--allow-shadowed saves anyway).
#[derive(Debug, Args)]
#[command(after_help = exit::help())]
pub struct Login {
    #[command(flatten)]
    pub target: ProfileArg,
    /// The account's base URL (on-premises or organisation URLs: https://host/user/NAME).
    #[arg(long, value_name = "URL", conflicts_with = "username")]
    pub base_url: Option<String>,
    /// The account's username (base URL https://USERNAME.carto.com).
    #[arg(long, short = 'u', value_name = "U")]
    pub username: Option<String>,
    /// The file layout: cartocreds (this library's) or cartoframes (Python CARTOframes').
    /// Default: cartocreds for the default file, cartoframes for profiles.
    #[arg(long, value_enum)]
    pub format: Option<Layout>,
    /// Read the key from standard input's first line (pipe it in). On a terminal the key is
    /// still typed hidden.
    #[arg(long)]
    pub with_key: bool,
    /// Accept an http:// base URL (also CARTO_ALLOW_NON_SECURE=1). The key then travels in clear
    /// text: only for test servers.
    #[arg(long)]
    pub allow_non_secure: bool,
    /// Save without asking CARTO whether the key is valid (e.g. offline).
    #[arg(long)]
    pub no_check: bool,
    /// Replace credentials already stored there without asking.
    #[arg(long)]
    pub replace: bool,
    /// Save even where another source comes first in the resolution order (the saved
    /// credentials are then not the ones used by default).
    #[arg(long)]
    pub allow_shadowed: bool,
    /// Where the secret goes (the key, an M2M client secret, and the tokens of CARTO 3): auto
    /// (the OS keychain when one answers, else the file, with a warning), keychain (never a
    /// file: fails if no keychain answers), file (in the file in plain text, 0600: what Python
    /// CARTOframes and carto-auth read). Default: CARTO_CREDENTIAL_STORE, else auto.
    #[arg(long, value_enum, value_name = "STORE")]
    pub store: Option<Store>,
    /// CARTO 3: sign in as a user in a browser (authorization code with PKCE). The browser is
    /// sent back to a listener on 127.0.0.1; where no browser can reach this machine (SSH, CI,
    /// hosted sessions) you paste the address it ends on instead. The token (valid about a
    /// day) goes to the token cache; the saved credentials hold no secret.
    #[arg(long, conflicts_with_all = ["username", "base_url", "with_key", "format", "m2m"])]
    pub carto3: bool,
    /// CARTO 3: a machine-to-machine client. FILE is carto-auth's carto_credentials.json
    /// ({"api_base_url", "client_id", "client_secret"}); without FILE the client is
    /// CARTO_M2M_CLIENT_ID and CARTO_M2M_CLIENT_SECRET. A token is minted to check it, and the
    /// client is saved in carto-auth's layout.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "",
          conflicts_with_all = ["username", "base_url", "with_key", "format"])]
    pub m2m: Option<String>,
    /// CARTO 3: the API base URL (e.g. https://gcp-us-east1.api.carto.com; CARTO Workspace >
    /// Developers > Credentials). Default: CARTO_API_BASE_URL.
    #[arg(long, value_name = "URL")]
    pub api_base_url: Option<String>,
    /// CARTO 3 sign-in: the SSO organization to sign in through.
    #[arg(long, value_name = "NAME", requires = "carto3")]
    pub organization: Option<String>,
    /// CARTO 3 sign-in: the OAuth application (default: CARTO's public client, as carto-auth).
    #[arg(long, value_name = "ID", requires = "carto3")]
    pub client_id: Option<String>,
    /// CARTO 3: the OAuth server (default https://auth.carto.com, or CARTO_AUTH_URL).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// CARTO 3 sign-in: how the browser's answer comes back. Default: paste where no browser
    /// can reach this machine (SSH, CI, no display, hosted R sessions), else browser.
    #[arg(long, value_enum, requires = "carto3")]
    pub flow: Option<SignInFlow>,
    /// CARTO 3 sign-in: print the address to open instead of starting a browser.
    #[arg(long, requires = "carto3")]
    pub no_browser: bool,
    /// CARTO 3 sign-in: seconds to wait for the browser (default 300).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        requires = "carto3"
    )]
    pub timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Store {
    /// The OS keychain when one answers, else the file (announced).
    Auto,
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager) or nothing.
    Keychain,
    /// The file, the secret in plain text (0600).
    File,
}

impl Store {
    pub fn library(self) -> cartoauth::CredentialStore {
        match self {
            Store::Auto => cartoauth::CredentialStore::Auto,
            Store::Keychain => cartoauth::CredentialStore::Keychain,
            Store::File => cartoauth::CredentialStore::File,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Place {
    /// Into the OS keychain; the file keeps a reference to the item.
    Keychain,
    /// Into the file, in plain text (0600); the keychain item is deleted.
    File,
}

/// Move the secret of stored credentials between the OS keychain and the file.
///
/// --to file puts the key (or M2M client secret, or token) back into the file in plain text,
/// 0600, as Python CARTOframes and carto-auth read it, and deletes the keychain item; --to
/// keychain stores it in the OS keychain and leaves a reference to the item in the file. The
/// file keeps its layout, its other fields and unknown keys. Without --profile: the file the
/// library would read (CARTO_PROFILE, CARTO_CREDENTIALS_FILE, else the default file).
#[derive(Debug, Args)]
#[command(after_help = exit::help())]
pub struct Move {
    #[command(flatten)]
    pub target: ProfileArg,
    /// Where the secret goes: keychain or file.
    #[arg(long, value_enum, value_name = "STORE")]
    pub to: Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignInFlow {
    /// The browser is sent back to a listener on 127.0.0.1.
    Browser,
    /// You paste the address the browser ends on (or the code it shows).
    Paste,
}

/// Print a CARTO 3 token valid now, for a script or a tool that sends it itself.
///
/// The token comes from the token cache (shared with the library and its bindings, so N
/// scripts mint once), minted first when the cache holds none that is fresh. It is valid for
/// at least the refresh window (10 minutes for CARTO's day-long tokens).
/// Examples: curl -H "$(cartoauth token --format header)" ...;
/// TOKEN=$(cartoauth token)
#[derive(Debug, Args)]
#[command(after_help = exit::help())]
pub struct Token {
    #[command(flatten)]
    pub account: UseArg,
    /// raw: the token alone (gh auth token, gcloud auth print-access-token); header:
    /// "Authorization: Bearer TOKEN"; json: {"access_token", "token_type", "expires_in",
    /// "expires_at", "api_base_url"}; env: CARTO_API_TOKEN and CARTO_API_BASE_URL as shell
    /// assignments.
    #[arg(long, short = 'f', value_enum, default_value_t = TokenFormat::Raw)]
    pub format: TokenFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenFormat {
    Raw,
    Header,
    Json,
    Env,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Layout {
    /// {"APIKEY", "USERNAME", "USERURL"}: this library's cartocreds.json layout.
    Cartocreds,
    /// {"username", "api_key", "base_url", "allow_non_secure"}: Python CARTOframes 1.x
    /// (creds.json); the default file with this layout is creds.json.
    Cartoframes,
}

/// Show the credentials that would be used, where they come from, and whether the key is valid.
///
/// Lists every source that was tried, in resolution order. The key is shown masked.
#[derive(Debug, Args)]
#[command(after_help = exit::help())]
pub struct Status {
    #[command(flatten)]
    pub account: UseArg,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Do not ask CARTO whether the key is valid.
    #[arg(long)]
    pub no_check: bool,
}

/// Delete stored credentials (asks first, unless --yes).
///
/// Without --profile: the file the library would read (CARTO_PROFILE, CARTO_CREDENTIALS_FILE,
/// else both default files). Environment variables are not touched.
#[derive(Debug, Args)]
#[command(after_help = exit::help())]
pub struct Logout {
    #[command(flatten)]
    pub target: ProfileArg,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Print the account as environment variables for eval, the API key included.
///
/// Sets CARTO_USERNAME, CARTO_BASE_URL, CARTO_API_KEY (read by cartoauth and its bindings) and
/// CARTO_API_URL (read by GDAL's CARTO driver, with CARTO_API_KEY).
/// Example: eval "$(cartoauth env)"
#[derive(Debug, Args)]
#[command(after_help = exit::help())]
pub struct Env {
    #[command(flatten)]
    pub account: UseArg,
    /// The shell to write for. Default: from $SHELL, else POSIX (bash).
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// Run a command with the account in its environment.
///
/// Sets the variables of `cartoauth env` for the command only, so that e.g.
/// `cartoauth exec -- ogr2ogr -f CARTO CARTO:demo points.geojson` works with no key on the
/// command line. On Unix the command replaces cartoauth (same process id): its exit status is
/// passed through and signals reach it directly.
#[derive(Debug, Args)]
#[command(after_help = exit::help())]
pub struct Exec {
    #[command(flatten)]
    pub account: UseArg,
    /// CARTO 3: also set GDAL_HTTP_HEADERS to the Bearer header, for GDAL (>= 3.6) reading
    /// CARTO 3 URLs. GDAL sends it with every HTTP request of the command, whatever the host:
    /// only for commands that reach CARTO alone.
    #[arg(long)]
    pub gdal_headers: bool,
    /// The command and its arguments (after --).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<OsString>,
}

/// Run a SQL query and stream the answer to standard output.
///
/// Errors are one line on standard error, with exit code 6 when CARTO rejected the query.
#[derive(Debug, Args)]
#[command(after_help = exit::help())]
pub struct Sql {
    #[command(flatten)]
    pub account: UseArg,
    /// The query; `-` reads it from standard input.
    #[arg(value_name = "QUERY")]
    pub query: String,
    /// table: aligned columns; json, csv, geojson: the SQL API's own output, streamed as it
    /// arrives.
    #[arg(long, short = 'f', value_enum, default_value_t = SqlFormat::Table)]
    pub format: SqlFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqlFormat {
    Table,
    Json,
    Csv,
    Geojson,
}

/// List the saved profiles and show which credentials are used by default.
#[derive(Debug, Args)]
#[command(after_help = exit::help())]
pub struct Profiles {
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Print a shell completion script (`make install` installs them for bash, zsh and fish).
///
/// The script asks cartoauth itself what to complete, so `--profile <TAB>` offers the saved
/// profiles. cartoauth must be on PATH.
/// bash: cartoauth completions bash > ~/.local/share/bash-completion/completions/cartoauth
/// zsh: cartoauth completions zsh > ~/.zfunc/_cartoauth  (a directory in $fpath)
/// fish: cartoauth completions fish > ~/.config/fish/completions/cartoauth.fish
#[derive(Debug, Args)]
pub struct Completions {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Write the man pages (cartoauth.1, cartoauth-COMMAND.1) into a directory; `make` runs it.
#[derive(Debug, Args)]
pub struct ManPages {
    /// The directory to write them in (created if needed).
    #[arg(value_name = "DIR")]
    pub dir: std::path::PathBuf,
}

/// The saved profiles' names, for completing `--profile` (nothing when they cannot be listed).
fn profile_names() -> Vec<CompletionCandidate> {
    cartoauth::config::profiles()
        .unwrap_or_default()
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}
