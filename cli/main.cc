// The `weft` command: see cli_app.h.
#include <iostream>

#include "cli/cli_app.h"

int main(int argc, char** argv) { return weft::cli::RunCli(argc, argv, std::cout, std::cerr); }
