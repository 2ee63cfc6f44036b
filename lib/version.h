#ifndef DA_VERSION_H
#define DA_VERSION_H
#define DA_VERSION "0.1.0"
#endif
