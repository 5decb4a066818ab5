// The corosync client libraries (Debian: libcpg-dev, libquorum-dev, libvotequorum-dev, libcmap-dev), seen from Swift
// as one module. Only MembershipCorosync imports it.
#ifndef VIGIL_CCOROSYNC_SHIM_H
#define VIGIL_CCOROSYNC_SHIM_H

#include <sys/uio.h>
#include <corosync/corotypes.h>
#include <corosync/cpg.h>
#include <corosync/quorum.h>
#include <corosync/votequorum.h>
#include <corosync/cmap.h>

#endif
