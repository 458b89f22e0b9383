//! `siec-accounts`: the command line of Comptes SIEC.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
