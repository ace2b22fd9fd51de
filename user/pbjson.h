/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Printing protobuf-c messages: protobuf's canonical proto3 JSON mapping
 * (lowerCamelCase names, enums by name, 64-bit integers as strings, default
 * values left out, bytes as base64), driven by the message descriptors so
 * that it follows the schema as it grows. Plus fnguard's one-line text form
 * of a Record for people.
 */
#ifndef FNG_PBJSON_H
#define FNG_PBJSON_H

#include <protobuf-c/protobuf-c.h>

#include "fnguard.pb-c.h"
#include "util.h"

/* Append the JSON of @msg to @out, on one line without a newline. 0 or -ENOMEM. */
int pbjson_append(struct fng_buf *out, const ProtobufCMessage *msg);

/*
 * Append a one-line human-readable form of @rec (no newline), with columns
 * padded so that successive lines align: time, function, process, kind,
 * action, detail.
 */
int record_text_append(struct fng_buf *out, const Fnguard__V1__Record *rec);

#endif /* FNG_PBJSON_H */
