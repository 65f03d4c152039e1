/*
 * hd-xml-autocleanups.h: g_autoptr() for expat's parser
 *
 * expat names its parser by a pointer typedef (XML_Parser); g_autoptr()
 * needs the type it points to, which gets a name here.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <expat.h>
#include <glib.h>

typedef struct XML_ParserStruct HdExpatParser;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdExpatParser, XML_ParserFree)
