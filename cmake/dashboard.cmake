# The web dashboard (web/, docs/dashboard.md), built and embedded into the
# coordinator: web/build.mjs copies the page and the npm packages it vendors
# (from web/node_modules, which scripts/setup installs with `npm ci` from
# web/package-lock.json) into ${EDDY_DASHBOARD_DIST}; embed_assets.cmake turns
# that directory into ${EDDY_DASHBOARD_SOURCE}, compiled into eddy_control.
# The build never uses the network: without node_modules it stops here,
# saying to run scripts/setup.
find_program(EDDY_NODE_EXECUTABLE NAMES node nodejs)
if(NOT EDDY_NODE_EXECUTABLE)
    message(FATAL_ERROR "The dashboard's build needs Node.js (Debian's nodejs): run scripts/setup")
endif()

set(eddy_web_dir ${PROJECT_SOURCE_DIR}/web)
set(eddy_web_vendored
    ${eddy_web_dir}/node_modules/@dagrejs/dagre/dist/dagre.esm.js
    ${eddy_web_dir}/node_modules/@dagrejs/dagre/LICENSE
    ${eddy_web_dir}/node_modules/@dagrejs/dagre/package.json
    ${eddy_web_dir}/node_modules/@dagrejs/graphlib/LICENSE
    ${eddy_web_dir}/node_modules/uplot/dist/uPlot.esm.js
    ${eddy_web_dir}/node_modules/uplot/dist/uPlot.min.css
    ${eddy_web_dir}/node_modules/uplot/LICENSE
    ${eddy_web_dir}/node_modules/uplot/package.json)
foreach(file IN LISTS eddy_web_vendored)
    if(NOT EXISTS ${file})
        message(FATAL_ERROR "${file} is missing: the dashboard's npm packages are not installed. "
                            "Run scripts/setup (it runs `npm ci` in web/ from its package-lock.json), "
                            "then configure again.")
    endif()
endforeach()

file(GLOB_RECURSE eddy_web_sources CONFIGURE_DEPENDS ${eddy_web_dir}/src/*)
set(EDDY_DASHBOARD_DIST ${CMAKE_BINARY_DIR}/web/dist)
set(EDDY_DASHBOARD_SOURCE ${CMAKE_BINARY_DIR}/generated/dashboard_assets.cpp)
add_custom_command(
    OUTPUT ${EDDY_DASHBOARD_SOURCE}
    COMMAND ${EDDY_NODE_EXECUTABLE} ${eddy_web_dir}/build.mjs --out ${EDDY_DASHBOARD_DIST}
    COMMAND ${CMAKE_COMMAND} -DDIST=${EDDY_DASHBOARD_DIST} -DOUTPUT=${EDDY_DASHBOARD_SOURCE}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_assets.cmake
    DEPENDS ${eddy_web_dir}/build.mjs ${PROJECT_SOURCE_DIR}/cmake/embed_assets.cmake
            ${eddy_web_sources} ${eddy_web_vendored}
    COMMENT "Building and embedding the web dashboard"
    VERBATIM)
