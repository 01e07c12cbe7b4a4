//! `cartoauth move --to keychain|file`: move the secret of stored credentials between the OS
//! keychain and the file (the library's config::move_to).

use crate::account;
use crate::args::{Move, Place};
use crate::exit::{self, Failure, Outcome};
use crate::output::note;
use cartoauth::{config, CredentialStore};

pub fn run(args: Move) -> Outcome {
    let location = account::stored_location(args.target.profile.as_deref())?;
    let path = config::path_of(&location)?;
    let before = config::keychain_item(&path);
    let to = match args.to {
        Place::Keychain => CredentialStore::Keychain,
        Place::File => CredentialStore::File,
    };
    let moved = config::move_to(&location, to).map_err(|e| {
        Failure::from(e).context(&format!("moving the secret of {}", path.display()))
    })?;
    for warning in moved.origin().warnings() {
        note(&format!("Warning: {warning}"));
    }
    let after = moved.origin().keychain_item().map(str::to_owned);
    let shown = moved.origin().path().unwrap_or(&path).display().to_string();
    note(&match (args.to, before, after) {
        (Place::Keychain, None, Some(item)) => format!(
            "Moved the secret of {shown} to {} (item {item}); the file refers to it",
            cartoauth::keychain_name()
        ),
        (Place::Keychain, Some(item), _) => {
            format!("The secret of {shown} already is in the keychain (item {item})")
        }
        (Place::Keychain, None, None) => {
            format!("{shown} holds no secret (a public key or a user sign-in): nothing to move")
        }
        (Place::File, Some(item), _) => format!(
            "Moved the secret of {shown} into the file (plain text, 0600) and deleted the keychain item {item}"
        ),
        (Place::File, None, _) => format!("The secret of {shown} already is in the file"),
    });
    Ok(exit::OK)
}
