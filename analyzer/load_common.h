/*
 * load_common.h - private helpers shared by the inventory and policy
 * loaders (analyzer/inventory_*.c, analyzer/policy_*.c): reading labels,
 * protocols, port names and CIDRs out of yamldoc nodes with positioned
 * errors. Not installed; only analyzer/ includes it.
 */
#ifndef SEGWATCH_LOAD_COMMON_H
#define SEGWATCH_LOAD_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "segwatch/addr.h"
#include "segwatch/error.h"
#include "segwatch/inventory.h"
#include "segwatch/yamldoc.h"

/* A map of string keys to string values into *out (which must be empty;
 * on error it is left empty). strict: values must be YAML strings (a
 * plain 1 or true is an error, as the Kubernetes API decodes them); else
 * any scalar's text. A null node gives no labels. */
enum sw_status sw_load_labels(const struct sw_ydoc *doc, const struct sw_ynode *n,
                              bool strict, const char *what, struct sw_labels *out,
                              struct sw_err *err) SW_WUR;

/* TCP, UDP or SCTP (exact case when strict, any case otherwise); a null
 * or absent node gives TCP. */
enum sw_status sw_load_proto(const struct sw_ydoc *doc, const struct sw_ynode *n,
                             bool strict, uint8_t *out, struct sw_err *err) SW_WUR;

/* Kubernetes IANA_SVC_NAME: 1-15 characters of [a-z0-9-], at least one
 * letter, no leading/trailing or double '-'. */
bool sw_port_name_valid(const char *name);

/* An address or CIDR as a string. strict: host bits beyond the length
 * must be zero. Errors name the text and say what was expected. */
enum sw_status sw_load_prefix(const struct sw_ydoc *doc, const struct sw_ynode *n,
                              bool strict, const char *what, struct sw_prefix *out,
                              struct sw_err *err) SW_WUR;

#endif
