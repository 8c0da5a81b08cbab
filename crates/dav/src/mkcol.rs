//! Making a collection on a server: `MKCALENDAR` with the component set for
//! a calendar, extended `MKCOL` (RFC 5689) for an address book, each with a
//! display name and (calendars) a colour.

use crate::client::{DavClient, DavError};
use crate::collection::{Collection, CollectionKind};
use crate::query::CalendarComponent;
use libdav::caldav::{CalendarComponent as Component, CreateCalendar};
use libdav::carddav::CreateAddressBook;

/// What a new collection is to be.
#[derive(Debug, Clone, Default)]
pub struct NewCollection<'a> {
    /// The component types a calendar takes (empty: the server's default).
    pub components: &'a [CalendarComponent],
    /// Its display name.
    pub displayname: Option<&'a str>,
    /// Its colour (`#RRGGBB`), for a calendar.
    pub color: Option<&'a str>,
}

impl Collection {
    /// Makes the collection at `url` on `client`'s server (which must not
    /// exist yet: a server answers 405 to a `MKCALENDAR` on a taken URL).
    pub async fn make(
        client: DavClient,
        url: &str,
        kind: CollectionKind,
        new: &NewCollection<'_>,
    ) -> Result<Collection, DavError> {
        let collection = Collection::new(client, url, kind)?;
        let href = collection.href().to_string();
        let components: Vec<Component> = new
            .components
            .iter()
            .map(|c| match c {
                CalendarComponent::Event => Component::VEvent,
                CalendarComponent::Todo => Component::VTodo,
                CalendarComponent::Journal => Component::VJournal,
            })
            .collect();
        let result = match kind {
            CollectionKind::Calendar => {
                let mut request = CreateCalendar::new(&href);
                if !components.is_empty() {
                    request = request.with_components(&components);
                }
                if let Some(name) = new.displayname {
                    request = request.with_display_name(name);
                }
                if let Some(color) = new.color {
                    request = request.with_colour(color);
                }
                collection.client().run(&request).await.map(drop)
            }
            CollectionKind::AddressBook => {
                let mut request = CreateAddressBook::new(&href);
                if let Some(name) = new.displayname {
                    request = request.with_display_name(name);
                }
                collection.client().run(&request).await.map(drop)
            }
        };
        // A request sent again after a lost answer (SOGo drops busy
        // connections) finds the collection its first try made: 405 or 409.
        let result = match result {
            Err(DavError::Conflict { .. }) | Err(DavError::Status { .. })
                if collection.is_a(kind).await =>
            {
                Ok(())
            }
            other => other,
        };
        match result {
            Ok(()) => {
                // SOGo makes the calendar but names it after its URL: what
                // the server did not take is set once more.
                let props = collection.display_properties().await?;
                let name = new
                    .displayname
                    .filter(|n| props.displayname.as_deref() != Some(*n));
                let color = new
                    .color
                    .filter(|_| kind == CollectionKind::Calendar && props.color.is_none());
                if name.is_some() || color.is_some() {
                    match collection.set_properties(name, color).await {
                        Ok(()) => {}
                        // SOGo: "Existing name" when another calendar of the
                        // user has that display name.
                        Err(DavError::Conflict { url }) => {
                            return Err(DavError::Protocol {
                                url,
                                message: format!(
                                    "the collection was made, but the server refused the name \
                                     {:?} (409 Conflict; SOGo refuses a name another collection \
                                     of the user has)",
                                    name.unwrap_or_default()
                                ),
                            });
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(collection)
            }
            // 405: the URL is taken (RFC 4791 §5.3.1: resource-must-be-null).
            Err(DavError::Status { url, status }) if status.as_u16() == 405 => {
                Err(DavError::Protocol {
                    url,
                    message: "something already exists at this URL (405 Method Not Allowed)".into(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the collection exists as a calendar or an address book, as `kind` says.
    async fn is_a(&self, kind: CollectionKind) -> bool {
        matches!(
            (self.inspect().await.map(|i| i.resource), kind),
            (
                Ok(crate::ResourceType::Calendar { .. }),
                CollectionKind::Calendar
            ) | (
                Ok(crate::ResourceType::AddressBook),
                CollectionKind::AddressBook
            )
        )
    }
}
