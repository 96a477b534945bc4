//! Who may log in to `oktaql serve`: the `serve:` section of oktaql's config file (each
//! user with a password from an environment variable or an owner-only file), and the one
//! user of `--user` with `OKTAQL_SERVE_PASSWORD`.
//!
//! Precedence: `OKTAQL_SERVE_PASSWORD` (when set and not blank) gives the `--user` user
//! (default `oktaql`) its password; it overrides a config user of the same name, as the
//! environment overrides the config file for org credentials. Without it, only the config
//! users log in.
//!
//! Owns: reading and checking the section (unknown keys, duplicate names, missing or empty
//! passwords, password files others can read), each user's SCRAM verifier (its own salt),
//! and the decoy verifier that makes an unknown user look like a wrong password.
//! Must not: put a password into an error, a log line or a `Debug` output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use pgwire::api::auth::sasl::scram::gen_salted_password;
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::error::PgWireResult;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::ServeError;
use super::PASSWORD_ENV;
use crate::auth::Secret;

/// Users a config file may list (a file is not a user database; raise by editing the
/// constant if ever needed).
pub const MAX_USERS: usize = 256;

/// PBKDF2 iterations of the SCRAM password hash (PostgreSQL's default).
pub(crate) const SCRAM_ITERATIONS: usize = 4096;

/// One user who may log in.
#[derive(Debug, Clone)]
pub struct ServeUser {
    /// The user name clients give.
    pub name: String,
    /// Its password (`Debug` shows `****`).
    pub password: Secret,
    /// `allow_writes` of the config file: `Some(false)` keeps the user read-only even when
    /// the server allows writes; `None` or `Some(true)` follow the server (`--allow-writes`).
    pub allow_writes: Option<bool>,
    /// Where the password came from (`OKTAQL_SERVE_PASSWORD`, `GRAFANA_PG_PASSWORD`, a
    /// file's path), for messages.
    pub origin: String,
}

/// The file's top level: only `serve` is read here (orgs are read with the credentials).
#[derive(Deserialize)]
struct File {
    #[serde(default)]
    serve: Option<Section>,
}

/// The `serve:` section.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    #[serde(default)]
    users: Vec<Entry>,
}

/// One entry of `serve.users`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(default)]
    password_env: Option<String>,
    #[serde(default)]
    password_file: Option<String>,
    #[serde(default)]
    allow_writes: Option<bool>,
}

/// Where to look things up while reading the section (tests give their own).
pub struct Lookup<'a> {
    /// Reads an environment variable.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The home directory, for `~/` in `password_file`.
    pub home: Option<PathBuf>,
}

/// The users of the config file at `path` (none when it has no `serve:` section or does
/// not exist).
pub fn from_config(path: &Path, lookup: &Lookup<'_>) -> Result<Vec<ServeUser>, ServeError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let bad = |m: String| ServeError::Users(format!("{}: {m}", path.display()));
    // Read as the org credentials read it: only its owner may read or change it (it names
    // where passwords are), bounded in size, valid YAML; refused the same way.
    let config =
        crate::auth::sources::read_config(path).map_err(|e| ServeError::Users(e.to_string()))?;
    let file: File = serde_norway::from_str(&config.text).map_err(|e| bad(e.to_string()))?;
    let Some(section) = file.serve else {
        return Ok(Vec::new());
    };
    if section.users.len() > MAX_USERS {
        return Err(bad(format!(
            "serve.users lists {} users; at most {MAX_USERS} are read",
            section.users.len()
        )));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut users: Vec<ServeUser> = Vec::new();
    for entry in section.users {
        let name = entry.name.trim().to_string();
        if name.is_empty() {
            return Err(bad("a serve.users entry has an empty name".into()));
        }
        if users.iter().any(|u| u.name == name) {
            return Err(bad(format!(
                "serve.users lists the user '{name}' twice: keep one entry per name"
            )));
        }
        let (password, origin) = match (entry.password_env, entry.password_file) {
            (Some(var), None) => {
                let value = (lookup.env)(&var).ok_or_else(|| {
                    bad(format!(
                        "user '{name}': the environment variable {var} (password_env) is not set"
                    ))
                })?;
                if value.trim().is_empty() {
                    return Err(bad(format!(
                        "user '{name}': the environment variable {var} (password_env) is empty"
                    )));
                }
                (value, var)
            }
            (None, Some(file)) => {
                let file = expand(&file, base, lookup.home.as_deref());
                let value = crate::auth::sources::read_secret_file(&file, "password file")
                    .map_err(|e| bad(format!("user '{name}': {e}")))?;
                (value, file.display().to_string())
            }
            (Some(_), Some(_)) => {
                return Err(bad(format!(
                    "user '{name}' has both password_env and password_file: give one"
                )))
            }
            (None, None) => {
                return Err(bad(format!(
                    "user '{name}' has no password: give password_env (an environment \
                     variable's name) or password_file (an owner-only file)"
                )))
            }
        };
        users.push(ServeUser {
            name,
            password: Secret::new(password),
            allow_writes: entry.allow_writes,
            origin,
        });
    }
    Ok(users)
}

/// A `password_file` path: `~/` is the home directory, a relative path is relative to the
/// config file's directory.
fn expand(file: &str, base: &Path, home: Option<&Path>) -> PathBuf {
    if let (Some(rest), Some(home)) = (file.strip_prefix("~/"), home) {
        return home.join(rest);
    }
    let p = PathBuf::from(file);
    if p.is_absolute() {
        p
    } else {
        base.join(p)
    }
}

/// What a start-up note says when the environment's password replaces a config user's.
pub fn overridden_note(user: &str, config: &Path) -> String {
    format!("serve: user {user}: the password from {PASSWORD_ENV} is used, not the one the config file {} gives", config.display())
}

/// The users of a server: the config's, and `user` with `env_password` when it is set
/// (replacing a config user of that name). `explicit_user`: `--user` was given, so it must
/// end up with a password. Returns the users and whether a config user was replaced.
pub fn combine(
    mut config: Vec<ServeUser>,
    user: &str,
    explicit_user: bool,
    env_password: Option<String>,
    config_path: Option<&Path>,
) -> Result<(Vec<ServeUser>, bool), ServeError> {
    let mut replaced = false;
    match env_password.filter(|p| !p.trim().is_empty()) {
        Some(password) => {
            if let Some(at) = config.iter().position(|u| u.name == user) {
                config.remove(at);
                replaced = true;
            }
            config.insert(
                0,
                ServeUser {
                    name: user.to_string(),
                    password: Secret::new(password),
                    allow_writes: None,
                    origin: PASSWORD_ENV.to_string(),
                },
            );
        }
        None if config.is_empty() => {
            return Err(ServeError::NoPassword {
                user: user.to_string(),
                config: config_path.map_or_else(
                    || "the config file".to_string(),
                    |p| p.display().to_string(),
                ),
            })
        }
        None if explicit_user && !config.iter().any(|u| u.name == user) => {
            return Err(ServeError::Users(format!(
                "--user {user} has no password: set {PASSWORD_ENV}, or list {user} under \
                 serve.users in the config file"
            )))
        }
        None => {}
    }
    Ok((config, replaced))
}

/// One user's SCRAM verifier.
#[derive(Debug)]
struct Verifier {
    salt: Vec<u8>,
    salted: Vec<u8>,
    writes: bool,
}

/// The salted passwords of every user, each with its own salt, and a decoy for names
/// that are not users.
#[derive(Debug)]
pub(crate) struct Verifiers {
    users: HashMap<String, Verifier>,
    decoy_key: [u8; 32],
    decoy_salted: Vec<u8>,
}

impl Verifiers {
    /// Salts and hashes every user's password; `server_writes` caps each user's writes.
    pub(crate) fn new(users: &[ServeUser], server_writes: bool) -> Verifiers {
        let users = users
            .iter()
            .map(|u| {
                let salt: [u8; 16] = rand::random();
                (
                    u.name.clone(),
                    Verifier {
                        salted: gen_salted_password(u.password.expose(), &salt, SCRAM_ITERATIONS),
                        salt: salt.to_vec(),
                        writes: server_writes && u.allow_writes != Some(false),
                    },
                )
            })
            .collect();
        let decoy: [u8; 32] = rand::random();
        Verifiers {
            users,
            decoy_key: rand::random(),
            decoy_salted: decoy.to_vec(),
        }
    }

    /// Whether `user` may write (false for a name that is not a user).
    pub(crate) fn may_write(&self, user: &str) -> bool {
        self.users.get(user).is_some_and(|v| v.writes)
    }
}

#[async_trait]
impl AuthSource for Verifiers {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let user = login.user().unwrap_or_default();
        match self.users.get(user) {
            Some(v) => Ok(Password::new(Some(v.salt.clone()), v.salted.clone())),
            None => {
                // Not a user: the exchange goes on with a salt that is the same for the same
                // name on every attempt and a hash no password has, so the client gets the
                // same answer as for a wrong password and which users exist is not told.
                let mut h = Sha256::new();
                h.update(self.decoy_key);
                h.update(user.as_bytes());
                let salt = h.finalize()[..16].to_vec();
                Ok(Password::new(Some(salt), self.decoy_salted.clone()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        p
    }

    fn read(path: &Path, vars: &[(&str, &str)]) -> Result<Vec<ServeUser>, ServeError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        from_config(
            path,
            &Lookup {
                env: &env,
                home: path.parent().map(Path::to_path_buf),
            },
        )
    }

    #[test]
    fn users_come_from_variables_and_owner_only_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "analyst.pw", "file-pw\n", 0o600);
        let cfg = write(
            dir.path(),
            "config.yaml",
            "orgs: {}\nserve:\n  users:\n    - name: grafana\n      password_env: G_PW\n      allow_writes: false\n    - name: analyst\n      password_file: ~/analyst.pw\n",
            0o600,
        );
        let users = read(&cfg, &[("G_PW", "env-pw")]).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(
            (users[0].name.as_str(), users[0].password.expose()),
            ("grafana", "env-pw")
        );
        assert_eq!(users[0].allow_writes, Some(false));
        assert_eq!(
            (users[1].name.as_str(), users[1].password.expose()),
            ("analyst", "file-pw")
        );
        // Debug output names users, never passwords.
        let debug = format!("{users:?}");
        assert!(
            !debug.contains("env-pw") && !debug.contains("file-pw"),
            "{debug}"
        );
    }

    #[test]
    fn bad_sections_are_refused_with_the_fix_and_without_the_password() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "open.pw", "leaky-pw", 0o644);
        write(dir.path(), "empty.pw", "  \n", 0o600);
        let cases = [
            (
                "- name: a\n      password_env: NOPE",
                "NOPE (password_env) is not set",
            ),
            (
                "- name: a\n      password_env: EMPTY",
                "EMPTY (password_env) is empty",
            ),
            ("- name: a\n      password_file: open.pw", "chmod 600"),
            ("- name: a\n      password_file: empty.pw", "is empty"),
            (
                "- name: a\n      pasword_env: X",
                "unknown field `pasword_env`",
            ),
            (
                "- name: a\n      password_env: X\n    - name: a\n      password_env: X",
                "the user 'a' twice",
            ),
            ("- name: a", "has no password"),
            (
                "- name: a\n      password_env: X\n      password_file: open.pw",
                "give one",
            ),
        ];
        for (entries, want) in cases {
            let cfg = write(
                dir.path(),
                "config.yaml",
                &format!("serve:\n  users:\n    {entries}\n"),
                0o600,
            );
            let err = read(&cfg, &[("X", "x-pw"), ("EMPTY", "")])
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{entries}: {err}");
            assert!(!err.contains("leaky-pw") && !err.contains("x-pw"), "{err}");
        }
        let cfg = write(dir.path(), "config.yaml", "serve:\n  user: []\n", 0o600);
        let err = read(&cfg, &[]).unwrap_err().to_string();
        assert!(err.contains("unknown field `user`"), "{err}");
        // A config file others can read is refused once it names server users.
        let cfg = write(
            dir.path(),
            "config.yaml",
            "serve:\n  users:\n    - name: a\n      password_env: X\n",
            0o644,
        );
        let err = read(&cfg, &[("X", "x-pw")]).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }

    /// The error of loading org credentials from the config file at `path`.
    fn credentials_error(path: &Path) -> String {
        let flags = crate::auth::sources::Flags {
            config: Some(path.to_path_buf()),
            ..Default::default()
        };
        let dir = path.parent().unwrap().to_path_buf();
        crate::auth::sources::load(&crate::auth::sources::Inputs {
            flags: &flags,
            env: &|_| None,
            home: Some(dir.clone()),
            cwd: dir,
            config_dir: None,
            server_template: None,
        })
        .map(|_| ())
        .expect_err("the credentials refuse the file")
        .to_string()
    }

    #[test]
    fn the_config_file_is_refused_as_the_org_credentials_refuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let oversize = format!("# {}\norgs: {{}}\n", "x".repeat(1024 * 1024));
        let cases = [
            // Others can read it: refused even without a serve section.
            (
                "orgs: {}\n",
                0o644,
                "can be read by other users (mode 644): run chmod 600",
            ),
            ("serve:\n  users: [\n", 0o600, "is not valid YAML"),
            (oversize.as_str(), 0o600, "is larger than 1024 KiB"),
        ];
        for (text, mode, want) in cases {
            let cfg = write(dir.path(), "config.yaml", text, mode);
            let err = read(&cfg, &[]).expect_err(want).to_string();
            assert!(err.contains(want), "{want}: {err}");
            assert_eq!(err, credentials_error(&cfg), "{want}");
        }
    }

    #[test]
    fn the_environment_password_joins_or_replaces_config_users() {
        let user = |n: &str| ServeUser {
            name: n.into(),
            password: Secret::new("p"),
            allow_writes: None,
            origin: "X".into(),
        };
        let (u, replaced) = combine(
            vec![user("oktaql"), user("b")],
            "oktaql",
            false,
            Some("e".into()),
            None,
        )
        .unwrap();
        assert!(replaced);
        assert_eq!(u.len(), 2);
        assert_eq!(
            (u[0].name.as_str(), u[0].password.expose()),
            ("oktaql", "e")
        );
        let (u, replaced) = combine(vec![user("b")], "oktaql", false, None, None).unwrap();
        assert!(!replaced);
        assert_eq!(u.len(), 1);
        let err = combine(vec![user("b")], "c", true, None, None).unwrap_err();
        assert!(
            err.to_string().contains("--user c has no password"),
            "{err}"
        );
        let err = combine(Vec::new(), "oktaql", false, Some(" ".into()), None).unwrap_err();
        assert!(err.to_string().contains(PASSWORD_ENV), "{err}");
    }

    #[test]
    fn writes_are_capped_by_the_server() {
        let user = |n: &str, w: Option<bool>| ServeUser {
            name: n.into(),
            password: Secret::new("p"),
            allow_writes: w,
            origin: "X".into(),
        };
        let users = [
            user("a", None),
            user("b", Some(false)),
            user("c", Some(true)),
        ];
        let open = Verifiers::new(&users, true);
        assert!(open.may_write("a") && !open.may_write("b") && open.may_write("c"));
        assert!(!open.may_write("nobody"));
        let closed = Verifiers::new(&users, false);
        assert!(!closed.may_write("a") && !closed.may_write("c"));
    }
}
