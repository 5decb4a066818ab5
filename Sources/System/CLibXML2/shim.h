#ifndef VIGIL_CLIBXML2_SHIM_H
#define VIGIL_CLIBXML2_SHIM_H
// ICU types in libxml2's headers clash with Foundation's ("'UErrorCode' has different definitions").
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/xpath.h>
#include <libxml/relaxng.h>
#include <libxml/xmlmemory.h>

// xmlFree is a function pointer variable, which Swift cannot call directly.
static inline void vigil_xmlFree(void *ptr) { xmlFree(ptr); }
#endif
