//! A webhook token file or SMTP password file open to every user is refused, naming the key,
//! the file and the `chmod` that fixes it.

use std::os::unix::fs::PermissionsExt as _;

use daicho_alert::AlertConfig;

#[test]
fn secret_files_open_to_every_user_are_refused() {
    let secret = std::env::temp_dir().join(format!("daicho-secret-mode-{}", std::process::id()));
    std::fs::write(&secret, "s3cret\n").unwrap();
    let webhook: AlertConfig = toml::from_str(&format!(
        "[webhook]\nurl = \"http://127.0.0.1:9/\"\ntoken_file = \"{}\"\n",
        secret.display()
    ))
    .unwrap();
    let email: AlertConfig = toml::from_str(&format!(
        "[email]\nsmtp_host = \"127.0.0.1\"\ntls = \"none\"\nusername = \"daicho\"\npassword_file = \"{}\"\nfrom = \"daicho@clinic.example\"\nto = [\"it@clinic.example\"]\n",
        secret.display()
    ))
    .unwrap();

    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    for (config, key) in [
        (&webhook, "alerts.webhook.token_file"),
        (&email, "alerts.email.password_file"),
    ] {
        let Err(e) = config.channels() else {
            panic!("{key}: a file open to every user was accepted");
        };
        let e = e.to_string();
        assert!(e.contains(key), "{e}");
        assert!(
            e.contains(&format!("chmod 600 {}", secret.display())),
            "{e}"
        );
    }
    for ok in [0o600, 0o640] {
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(ok)).unwrap();
        webhook.channels().unwrap();
        email.channels().unwrap();
    }
    std::fs::remove_file(&secret).unwrap();
}
