fn main() -> std::process::ExitCode {
    blockwise::cli::main()
}
