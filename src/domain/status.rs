use std::fmt;

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The value stored in the database.
            pub fn code(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            /// The French word shown to agents.
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
            pub fn from_code(s: &str) -> Option<Self> {
                match s.trim().to_ascii_lowercase().as_str() { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::from_code(s).ok_or_else(|| format!(
                    concat!($what, " « {} » inconnu : valeurs possibles {}."),
                    s,
                    [$($code),+].join(", ")
                ))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.label()) }
        }
    };
}

text_enum!(
    /// `pending`: no password yet; `active`: password set; `disabled`: gets no links.
    AccountStatus, "Statut" {
        Pending => "pending" / "en attente",
        Active => "active" / "actif",
        Disabled => "disabled" / "désactivé",
    }
);

text_enum!(
    /// Role of an account in an establishment.
    Role, "Rôle" {
        Principal => "principal" / "principal",
        Member => "member" / "membre",
    }
);

text_enum!(
    /// Why a link is sent: first password, or forgotten password.
    LinkPurpose, "Type de lien" {
        Init => "init" / "initialisation",
        Reset => "reset" / "réinitialisation",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in AccountStatus::ALL {
            assert_eq!(AccountStatus::from_code(s.code()), Some(*s));
        }
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>().unwrap(), *r);
        }
        let err = "chef".parse::<Role>().unwrap_err();
        assert!(err.contains("principal, member"), "{err}");
        assert_eq!(AccountStatus::Active.label(), "actif");
    }
}
