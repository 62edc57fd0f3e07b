# Third-party libraries, all from Debian's packages (deploy/debian-packages.txt).
# Each becomes an imported target so library CMakeLists only name targets.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Boost 1.81 REQUIRED)

pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++ rdkafka)
pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
# libjwt 1.10 (Debian 12) verifies JWS signatures; it reads no JWKS, libs/auth turns JWKs into PEM for it.
pkg_check_modules(LIBJWT REQUIRED IMPORTED_TARGET libjwt>=1.10)
add_library(libjwt INTERFACE IMPORTED)
target_link_libraries(libjwt INTERFACE PkgConfig::LIBJWT)

find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(rapidjson INTERFACE IMPORTED)
target_include_directories(rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
# Never let RapidJSON assert-abort on bad input; parse errors are values.
target_compile_definitions(rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

# Debian's libsoci-dev ships no CMake config: find its headers and libraries here.
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
find_library(SOCI_CORE_LIBRARY soci_core REQUIRED)
find_library(SOCI_MYSQL_LIBRARY soci_mysql REQUIRED)
add_library(soci_mysql INTERFACE IMPORTED)
target_include_directories(soci_mysql SYSTEM INTERFACE ${SOCI_INCLUDE_DIR})
target_link_libraries(soci_mysql INTERFACE ${SOCI_MYSQL_LIBRARY} ${SOCI_CORE_LIBRARY} PkgConfig::MARIADB)

add_library(boost_asio INTERFACE IMPORTED)
target_link_libraries(boost_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(boost_asio INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
