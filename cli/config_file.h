/*
 * config_file.h - `--config FILE` for long-running commands: a YAML
 * mapping of long option names to values, turned into arguments.
 */
#ifndef SEGWATCH_CLI_CONFIG_FILE_H
#define SEGWATCH_CLI_CONFIG_FILE_H

#include <getopt.h>

/* The FILE of the first --config FILE / --config=FILE in argv, or NULL. */
const char *config_file_find(int argc, char **argv);

/* Reads path and turns its settings into "--name=value" arguments for the
 * options opts (the command's getopt_long table). Returns 0 with *args
 * (NULL-terminated, caller frees with config_file_args_free) and *n, or
 * -1 after printing an error with file:line:column. */
int config_file_args(const char *path, const struct option *opts, char ***args, int *n);
void config_file_args_free(char **args, int n);

#endif
