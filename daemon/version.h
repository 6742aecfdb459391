/*
 * version: the release number, written once. `--version` of both programs
 * and the iCalendar PRODID use it.
 */
#ifndef RUNDBRIEF_VERSION_H
#define RUNDBRIEF_VERSION_H

#define RUNDBRIEF_VERSION "1.0"

#endif
