// The API docs page (templates/api/docs.html): Swagger UI on the live schema, loaded with the
// page's own session. An external file because the CSP allows no inline script.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    deepLinking: true,
    // Trying requests from the page would need a token pasted into it; the docs only describe.
    supportedSubmitMethods: [],
  });
})();
