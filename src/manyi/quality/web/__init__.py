"""Quality's pages: the satisfaction page (`/quality`: HTML, its JSON for the charts, its Excel
export), the customer's survey page (`survey_page`), survey settings and the inspector's flags."""
